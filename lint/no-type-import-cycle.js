// ESLint rule: no import cycle that runs through a type-only import.
//
// import-x/no-cycle finds the cycles of value imports, but it skips `import type`, `export type
// … from` and imports whose every specifier is `type`: they vanish at compile time, so they cannot
// break module loading. They still tie two modules together (neither can be understood, moved or
// tested without the other), and the project keeps its import graph acyclic, so this rule reports
// the rest: an import of the linted file that is part of a cycle which needs a type-only import.
// A cycle of value imports alone is left to import-x, so no cycle is reported twice.
//
// The graph is built from the files themselves with the TypeScript parser (top-level import and
// re-export declarations; relative specifiers only, `./x.js` resolved to `./x.ts` as NodeNext
// does). Files other than the linted one are cached by modification time, so an editor's
// long-running ESLint sees edits to them.
import { readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import ts from 'typescript';

/** file → { mtimeMs, edges } */
const cache = new Map();

/** Whether a declaration imports or re-exports types only (and so is erased from the output). */
function typeOnly(node) {
  if (ts.isImportDeclaration(node)) {
    const clause = node.importClause;
    if (!clause) return false; // `import './x.js'` runs the module
    if (clause.isTypeOnly) return true;
    const named = clause.namedBindings;
    return (
      !clause.name &&
      named !== undefined &&
      ts.isNamedImports(named) &&
      named.elements.length > 0 &&
      named.elements.every((e) => e.isTypeOnly)
    );
  }
  if (ts.isExportDeclaration(node)) {
    if (node.isTypeOnly) return true;
    const named = node.exportClause;
    return (
      named !== undefined &&
      ts.isNamedExports(named) &&
      named.elements.length > 0 &&
      named.elements.every((e) => e.isTypeOnly)
    );
  }
  return false;
}

/** The project file a relative specifier names, or undefined (packages, missing files). */
function resolveSpecifier(from, specifier) {
  if (!specifier.startsWith('./') && !specifier.startsWith('../')) return undefined;
  const base = resolve(dirname(from), specifier);
  const candidates = base.endsWith('.js')
    ? [`${base.slice(0, -3)}.ts`, `${base.slice(0, -3)}.tsx`, base]
    : base.endsWith('.mjs')
      ? [`${base.slice(0, -4)}.mts`, base]
      : [base, `${base}.ts`, resolve(base, 'index.ts')];
  for (const c of candidates) {
    try {
      if (statSync(c).isFile()) return c;
    } catch {
      // not this one
    }
  }
  return undefined;
}

/** The import and re-export edges of a file: { target, typeOnly, start, end }. */
function edgesOf(file, text) {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false);
  const edges = [];
  for (const node of source.statements) {
    let specifier;
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier) {
      if (ts.isStringLiteral(node.moduleSpecifier)) specifier = node.moduleSpecifier.text;
    } else if (
      ts.isImportEqualsDeclaration(node) &&
      ts.isExternalModuleReference(node.moduleReference) &&
      ts.isStringLiteral(node.moduleReference.expression)
    ) {
      specifier = node.moduleReference.expression.text;
    }
    if (specifier === undefined) continue;
    const target = resolveSpecifier(file, specifier);
    if (!target) continue;
    const erased = ts.isImportEqualsDeclaration(node) ? node.isTypeOnly : typeOnly(node);
    edges.push({ target, typeOnly: erased, start: node.getStart(source), end: node.getEnd() });
  }
  return edges;
}

function cachedEdges(file) {
  let mtimeMs;
  try {
    mtimeMs = statSync(file).mtimeMs;
  } catch {
    return [];
  }
  const hit = cache.get(file);
  if (hit && hit.mtimeMs === mtimeMs) return hit.edges;
  const edges = edgesOf(file, readFileSync(file, 'utf8'));
  cache.set(file, { mtimeMs, edges });
  return edges;
}

/**
 * The shortest path of files from `start` back to `goal`, using value edges only when
 * `valueOnly`; undefined when there is none.
 */
function pathBack(start, goal, valueOnly) {
  const parent = new Map([[start, undefined]]);
  const queue = [start];
  while (queue.length > 0) {
    const file = queue.shift();
    for (const e of cachedEdges(file)) {
      if (valueOnly && e.typeOnly) continue;
      if (e.target === goal) {
        const path = [goal];
        for (let f = file; f !== undefined; f = parent.get(f)) path.unshift(f);
        return path;
      }
      if (!parent.has(e.target)) {
        parent.set(e.target, file);
        queue.push(e.target);
      }
    }
  }
  return undefined;
}

export default {
  meta: {
    type: 'problem',
    docs: { description: 'disallow import cycles that run through a type-only import' },
    schema: [],
    messages: {
      cycle:
        'Import cycle through a type-only import: {{path}}. Move what both sides share to a module that neither imports.',
    },
  },
  create(context) {
    const file = context.physicalFilename;
    const cwd = context.cwd;
    const rel = (f) => (f.startsWith(`${cwd}/`) ? f.slice(cwd.length + 1) : f);
    return {
      Program() {
        const sourceCode = context.sourceCode;
        for (const e of edgesOf(file, sourceCode.text)) {
          if (e.target === file) continue;
          const back = pathBack(e.target, file, false);
          if (!back) continue;
          // A cycle of value imports alone is import-x/no-cycle's to report.
          if (!e.typeOnly && pathBack(e.target, file, true)) continue;
          context.report({
            loc: { start: sourceCode.getLocFromIndex(e.start), end: sourceCode.getLocFromIndex(e.end) },
            messageId: 'cycle',
            data: { path: [file, ...back].map(rel).join(' → ') },
          });
        }
      },
    };
  },
};
