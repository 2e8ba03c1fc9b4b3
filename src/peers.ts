/**
 * sagent's optional peer dependencies (OpenTelemetry, the MCP SDK, Temporal's test kit and tracing interceptors) load
 * on first use, never on import: a user who asks for a feature without its package gets one error naming what to
 * install, and a user who never asks never loads them.
 */
import fs from 'node:fs';
import path from 'node:path';

/** Thrown when a feature needs an optional peer dependency that is not installed. */
export class MissingPeerDependencyError extends Error {
  override name = 'MissingPeerDependencyError' as const;
  constructor(
    readonly packageName: string,
    readonly feature: string,
  ) {
    super(
      `${feature} needs ${packageName}, an optional peer dependency of sagent that is not installed: run npm install ${packageName}@'${peerRange(packageName)}'`,
    );
  }
}

/** `require(specifier)`, or a MissingPeerDependencyError when the package it names is not installed. */
export function requirePeer<T>(specifier: string, feature: string): T {
  try {
    return require(specifier) as T;
  } catch (err) {
    const packageName = packageOf(specifier);
    if (isNotFound(err, packageName)) throw new MissingPeerDependencyError(packageName, feature);
    throw err;
  }
}

/** `require.resolve(specifier)`, or a MissingPeerDependencyError when the package it names is not installed. */
export function resolvePeer(specifier: string, feature: string): string {
  try {
    return require.resolve(specifier);
  } catch (err) {
    const packageName = packageOf(specifier);
    if (isNotFound(err, packageName)) throw new MissingPeerDependencyError(packageName, feature);
    throw err;
  }
}

function isNotFound(err: unknown, packageName: string): boolean {
  const { code } = (err ?? {}) as { code?: string };
  // Only the package itself missing: a missing module inside an installed package is a real error.
  return (code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND') && !isInstalled(packageName);
}

function isInstalled(packageName: string): boolean {
  return (require.resolve.paths(packageName) ?? []).some((dir) => fs.existsSync(path.join(dir, packageName, 'package.json')));
}

function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

function peerRange(packageName: string): string {
  try {
    const manifest = require('../package.json') as { peerDependencies?: Record<string, string> };
    return manifest.peerDependencies?.[packageName] ?? 'latest';
  } catch {
    return 'latest';
  }
}
