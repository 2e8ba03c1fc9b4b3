// The public API's documentation check, over the declarations tsc emits for one entry point:
//   - every name the entry point exports has a JSDoc comment;
//   - every optional field of an options or input type (an exported interface or type whose name ends in Options,
//     Input or Spec) says its `@default`, and so does every field of a settings type (a name ending in Settings or
//     Limits: the resolved form of a run's partial input, where each field is a knob the user may leave out).
//   node scripts/api-docs.mjs <entry.d.ts>...   prints what is missing and exits 1, or exits 0
// scripts/api-report.mjs runs it on every entry point, so `npm run lint` fails on an undocumented export.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** Names whose optional fields are the knobs a user may leave out, so each must say what leaving it out means. */
const OPTIONS_NAME = /(Options|Input|Spec|Settings|Limits)$/;
/** Settings types are read whole from a partial input, so every field of theirs is a knob with a default. */
const SETTINGS_NAME = /(Settings|Limits)$/;

/**
 * What the entry point at `dtsFile` leaves undocumented, one line each (empty when everything is documented).
 * @param {string} dtsFile
 * @returns {string[]}
 */
export function undocumented(dtsFile) {
  const program = ts.createProgram([dtsFile], {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    types: ['node'],
    strict: true,
    skipLibCheck: true,
    noEmit: true,
  });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(dtsFile);
  const moduleSymbol = source && checker.getSymbolAtLocation(source);
  if (!moduleSymbol) return [`${dtsFile}: not a module`];
  const problems = [];
  for (const exported of checker.getExportsOfModule(moduleSymbol)) {
    const name = exported.getName();
    const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    if (!hasDoc(symbol, checker)) problems.push(`${name}: no JSDoc`);
    if (!OPTIONS_NAME.test(name) || !(symbol.flags & (ts.SymbolFlags.Interface | ts.SymbolFlags.TypeAlias))) continue;
    for (const field of checker.getPropertiesOfType(checker.getDeclaredTypeOfSymbol(symbol))) {
      if (!(field.flags & ts.SymbolFlags.Optional) && !SETTINGS_NAME.test(name)) continue;
      if (!field.getJsDocTags(checker).some((tag) => tag.name === 'default' || tag.name === 'defaultValue'))
        problems.push(`${name}.${field.getName()}: a knob with no @default`);
    }
  }
  return problems;
}

/** A JSDoc comment with text, or with tags alone (e.g. `@deprecated`), on any of the symbol's declarations. */
function hasDoc(symbol, checker) {
  if (symbol.getDocumentationComment(checker).length > 0) return true;
  return (symbol.declarations ?? []).some((declaration) => ts.getJSDocCommentsAndTags(declaration).length > 0);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const files = process.argv.slice(2);
  if (files.length === 0) {
    console.error('usage: node scripts/api-docs.mjs <entry.d.ts>...');
    process.exit(2);
  }
  let missing = 0;
  for (const file of files) {
    for (const problem of undocumented(path.resolve(file))) {
      console.error(`${file}: ${problem}`);
      missing++;
    }
  }
  process.exit(missing > 0 ? 1 : 0);
}
