// What our AWS adapters take from each SDK client package: the names a slim bundle of that
// package must export (scripts/bundle-sdk-clients.js). Read from the TypeScript sources, so a
// command an adapter starts to use is in the next build without a list to keep by hand; a form
// of import this cannot read fails the build, naming the file and line, rather than leave a
// name out of the bundle.
import {readFileSync} from 'node:fs'
import ts from 'typescript'

const SDK_CLIENT = /^@aws-sdk\/client-[a-z0-9-]+$/

/**
 * @param {string[]} files TypeScript sources
 * @returns {Map<string, Set<string>>} package name → the value names taken from it
 */
export function sdkImportsOf(files) {
  const taken = new Map()
  const take = (pkg, name) => {
    if (!taken.has(pkg)) taken.set(pkg, new Set())
    taken.get(pkg).add(name)
  }
  for (const file of files) {
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true, ts.ScriptKind.TS)
    const fail = (node, what) => {
      const {line} = source.getLineAndCharacterOfPosition(node.getStart(source))
      throw new Error(`${file}:${line + 1}: ${what}; write \`const x = await import('@aws-sdk/client-…')\` and use x.Name, or destructure the names`)
    }
    const visit = (node) => {
      if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier) && SDK_CLIENT.test(node.moduleSpecifier.text)) {
        staticImport(node, node.moduleSpecifier.text, take, fail)
      } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
        const [specifier] = node.arguments
        if (specifier && ts.isStringLiteralLike(specifier) && SDK_CLIENT.test(specifier.text)) dynamicImport(node, specifier.text, take, fail)
      }
      ts.forEachChild(node, visit)
    }
    visit(source)
  }
  return taken
}

function staticImport(node, pkg, take, fail) {
  const clause = node.importClause
  if (!clause || clause.isTypeOnly) return
  if (clause.name) fail(clause.name, `a default import of ${pkg}`)
  const bindings = clause.namedBindings
  if (!bindings) return
  if (ts.isNamespaceImport(bindings)) {
    namespaceUses(bindings.name, node.getSourceFile(), pkg, take, fail)
    return
  }
  for (const element of bindings.elements) if (!element.isTypeOnly) take(pkg, (element.propertyName ?? element.name).text)
}

function dynamicImport(call, pkg, take, fail) {
  const awaited = call.parent
  const declaration = awaited && ts.isAwaitExpression(awaited) ? awaited.parent : undefined
  if (!declaration || !ts.isVariableDeclaration(declaration) || declaration.initializer !== awaited) {
    fail(call, `import('${pkg}') whose module is not kept in a variable`)
  }
  const {name} = declaration
  if (ts.isIdentifier(name)) {
    namespaceUses(name, scopeOf(declaration), pkg, take, fail)
    return
  }
  if (!ts.isObjectBindingPattern(name)) fail(name, `import('${pkg}') taken apart as an array`)
  for (const element of name.elements) {
    const key = element.propertyName ?? element.name
    if (element.dotDotDotToken || !ts.isIdentifier(key)) fail(element, `import('${pkg}') taken apart with a rest or computed name`)
    take(pkg, key.text)
  }
}

/** The block, function or file a `const` is visible in. */
function scopeOf(declaration) {
  let node = declaration.parent
  while (node && !ts.isBlock(node) && !ts.isSourceFile(node) && !ts.isFunctionLike(node)) node = node.parent
  return node
}

/** Every use of the module's variable in its scope must be `variable.Name`. */
function namespaceUses(variable, scope, pkg, take, fail) {
  const visit = (node) => {
    if (ts.isIdentifier(node) && node !== variable && node.text === variable.text) {
      const {parent} = node
      const isAccess = ts.isPropertyAccessExpression(parent) && parent.expression === node
      // `typeof variable.Name` in a type
      const isTypeQuery = ts.isQualifiedName(parent) && parent.left === node
      const isOtherName = (ts.isPropertyAccessExpression(parent) && parent.name === node) || (ts.isPropertyAssignment(parent) && parent.name === node)
      if (isAccess) take(pkg, parent.name.text)
      else if (isTypeQuery) take(pkg, parent.right.text)
      else if (!isOtherName) fail(node, `${variable.text}, the module ${pkg}, used other than as ${variable.text}.Name`)
    }
    ts.forEachChild(node, visit)
  }
  visit(scope)
}
