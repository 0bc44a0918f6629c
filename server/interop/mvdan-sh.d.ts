/** The parts of mvdan-sh (GopherJS build of mvdan.cc/sh/v3/syntax) the exec reader uses. */
declare module 'mvdan-sh' {
  export interface ShPos {
    Offset(): number;
  }
  export interface ShNode {
    Pos(): ShPos;
    End(): ShPos;
    [field: string]: unknown;
  }
  export interface ShParser {
    Parse(src: string, name: string): ShNode;
  }
  export interface ShSyntax {
    NewParser(): ShParser;
    NodeType(node: unknown): string;
    Walk(node: ShNode, fn: (node: ShNode | null) => boolean): void;
  }
  const sh: { syntax: ShSyntax };
  export default sh;
}
