// The SDK's generated schema files write trait keys as computed names of module constants:
//   const _xN = "xmlName"; … [3, n0, _I, { [_xN]: _i }, …]
// A bundler treats a computed key as code that may run (a key's toString), so it keeps every
// statement holding one, and with them every schema they point to. Putting the constant's own
// string in the key's place changes nothing at run time and lets the unused schemas drop out.
import ts from 'typescript'

/**
 * @param {string} text a schemas_N.js file of an SDK client's dist-es
 * @returns {string} the same module with each `[constant]:` key whose constant is a top-level
 *   `const` string literal written as that literal
 */
export function withLiteralKeys(text) {
  const source = ts.createSourceFile('schemas.js', text, ts.ScriptTarget.Latest, true, ts.ScriptKind.JS)
  const strings = new Map()
  for (const statement of source.statements) {
    if (!ts.isVariableStatement(statement) || !(statement.declarationList.flags & ts.NodeFlags.Const)) continue
    for (const declaration of statement.declarationList.declarations) {
      if (ts.isIdentifier(declaration.name) && declaration.initializer && ts.isStringLiteral(declaration.initializer)) {
        strings.set(declaration.name.text, declaration.initializer.text)
      }
    }
  }
  const edits = []
  const visit = (node) => {
    if (ts.isComputedPropertyName(node) && ts.isIdentifier(node.expression) && strings.has(node.expression.text) && !isShadowed(node.expression)) {
      edits.push({start: node.getStart(source), end: node.getEnd(), text: JSON.stringify(strings.get(node.expression.text))})
    }
    ts.forEachChild(node, visit)
  }
  visit(source)
  let result = ''
  let at = 0
  for (const edit of edits) {
    result += text.slice(at, edit.start) + edit.text
    at = edit.end
  }
  return result + text.slice(at)
}

/** A name declared again inside a function is another binding; the generated files have none, and a key there is left as it is. */
function isShadowed(identifier) {
  for (let node = identifier.parent; node && !ts.isSourceFile(node); node = node.parent) {
    if (ts.isFunctionLike(node) && node.parameters.some((parameter) => ts.isIdentifier(parameter.name) && parameter.name.text === identifier.text)) return true
    if (ts.isBlock(node) && node.statements.some((statement) => ts.isVariableStatement(statement) && statement.declarationList.declarations.some((d) => ts.isIdentifier(d.name) && d.name.text === identifier.text))) return true
  }
  return false
}
