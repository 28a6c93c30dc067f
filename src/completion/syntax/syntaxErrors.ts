// The syntax errors in a tree: the ranges of its ERROR and MISSING nodes, found by walking only
// the subtrees that contain one (Node.hasError, which MISSING nodes set too), so an error-free
// file costs one check.
import type { Node, Tree } from 'web-tree-sitter';

export interface ErrorRange {
  start: number;
  end: number;
  /** For a MISSING node, the type the parser expected there (e.g. ")"). */
  missing?: string;
}

export function errorRanges(tree: Tree, limit = 64): ErrorRange[] {
  const out: ErrorRange[] = [];
  const visit = (n: Node) => {
    if (out.length >= limit) return;
    if (n.isError || n.isMissing) {
      out.push(n.isMissing ? { start: n.startIndex, end: n.endIndex, missing: n.type } : { start: n.startIndex, end: n.endIndex });
      return;
    }
    for (const c of n.children) if (c && c.hasError) visit(c);
  };
  if (tree.rootNode.hasError) visit(tree.rootNode);
  return out;
}
