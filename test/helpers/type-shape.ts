/**
 * The shape of TypeScript types as the compiler sees them: every property with its optionality and type, for a type
 * and every named type of this project it reaches. The names contract snapshots the run input and the carried state
 * this way, so a field added, removed, renamed or retyped is a visible diff.
 */
import path from 'node:path';
import ts from 'typescript';

const ROOT = path.join(__dirname, '..', '..');
const SRC = path.join(ROOT, 'src') + path.sep;

/** `{ TypeName: { 'field?': 'type text' } }` for `names` (exported from `file`) and the project types they reach. */
export function typeShapes(file: string, names: readonly string[]): Record<string, Record<string, string>> {
  const program = ts.createProgram([file], {
    strict: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.CommonJS,
    lib: ['lib.es2022.d.ts'],
    types: [],
    skipLibCheck: true,
    noEmit: true,
  });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(file);
  const moduleSymbol = source && checker.getSymbolAtLocation(source);
  if (!moduleSymbol) throw new Error(`cannot read ${file}`);
  const exported = new Map(checker.getExportsOfModule(moduleSymbol).map((symbol) => [symbol.name, symbol]));
  const shapes: Record<string, Record<string, string>> = {};
  const queue: Array<[string, ts.Type]> = names.map((name) => {
    const symbol = exported.get(name);
    if (!symbol) throw new Error(`${path.relative(ROOT, file)} exports no type ${name}`);
    const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
    return [name, checker.getDeclaredTypeOfSymbol(target)];
  });
  const print = (type: ts.Type) =>
    checker.typeToString(type, undefined, ts.TypeFormatFlags.NoTruncation | ts.TypeFormatFlags.UseSingleQuotesForStringLiteralType);

  const reach = (type: ts.Type, seen = new Set<ts.Type>()): void => {
    if (seen.has(type)) return;
    seen.add(type);
    const named = type.aliasSymbol ?? type.getSymbol();
    const declaredInProject = named?.declarations?.some(
      (declaration) => declaration.getSourceFile().fileName.startsWith(SRC.split(path.sep).join('/')) || declaration.getSourceFile().fileName.startsWith(SRC),
    );
    if (named && declaredInProject && !(named.name in shapes) && !named.name.startsWith('__')) queue.push([named.name, type]);
    if (type.isUnion() || type.isIntersection()) for (const member of type.types) reach(member, seen);
    for (const argument of type.aliasTypeArguments ?? []) reach(argument, seen);
    if (checker.isArrayType(type) || checker.isTupleType(type))
      for (const argument of checker.getTypeArguments(type as ts.TypeReference)) reach(argument, seen);
    for (const info of checker.getIndexInfosOfType(type)) reach(info.type, seen);
    if (!named || !declaredInProject) for (const property of checker.getPropertiesOfType(type)) reach(checker.getTypeOfSymbol(property), seen);
  };

  while (queue.length > 0) {
    const [name, type] = queue.shift()!;
    if (name in shapes) continue;
    const shape: Record<string, string> = {};
    const members = type.isUnion() ? [] : checker.getPropertiesOfType(type);
    if (type.isUnion()) shape['(union)'] = type.types.map(print).join(' | ');
    for (const property of members) {
      const propertyType = checker.getTypeOfSymbol(property);
      shape[`${property.name}${property.flags & ts.SymbolFlags.Optional ? '?' : ''}`] = print(propertyType);
      reach(propertyType);
    }
    if (type.isUnion()) reach(type);
    if (!type.isUnion()) for (const info of checker.getIndexInfosOfType(type)) shape[`[key: ${print(info.keyType)}]`] = print(info.type);
    shapes[name] = shape;
  }
  return Object.fromEntries(Object.entries(shapes).sort(([a], [b]) => a.localeCompare(b)));
}
