import { describeError, type ErrorMsg } from '../openflow/index.js';

/** The switch answered a request with OFPT_ERROR. `name` carries type and code by name. */
export class OpenFlowErrorReply extends Error {
  override readonly name = 'OpenFlowErrorReply';
  /** "FLOW_MOD_FAILED/BAD_TABLE_ID" */
  readonly reason: string;
  constructor(
    readonly dpid: string,
    readonly error: ErrorMsg,
  ) {
    const reason = describeError(error);
    super(`switch ${dpid} rejected xid ${error.xid}: ${reason}`);
    this.reason = reason;
  }
}

export class RequestTimeoutError extends Error {
  override readonly name = 'RequestTimeoutError';
}

export class ConnectionClosedError extends Error {
  override readonly name = 'ConnectionClosedError';
}

/** A barrier-confirmed batch in which the switch rejected one or more messages. */
export class BatchRejectedError extends Error {
  override readonly name = 'BatchRejectedError';
  constructor(
    readonly dpid: string,
    readonly errors: OpenFlowErrorReply[],
    readonly sent: number,
  ) {
    super(`switch ${dpid} rejected ${errors.length} of ${sent} messages: ${errors.slice(0, 3).map((e) => e.reason).join(', ')}`);
  }
}
