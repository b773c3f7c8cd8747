/** One problem in a topology file, located by line and column and by field path. */
export interface TopologyIssue {
  file: string;
  line: number;
  column: number;
  /** "links[3][1]", "subnets[0].gateway" */
  field: string;
  why: string;
}

export class TopologyError extends Error {
  override readonly name = 'TopologyError';
  constructor(readonly issues: TopologyIssue[]) {
    super(issues.map((i) => `${i.file}:${i.line}:${i.column}: ${i.field}: ${i.why}`).join('\n'));
  }
}
