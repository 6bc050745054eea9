/** Thrown when the gradient builder meets an op on the path from `pixels` to `logits` it cannot differentiate. */
export class UnsupportedOpError extends Error {
  constructor(
    readonly opType: string,
    readonly nodeName = '',
    detail = '',
  ) {
    super(
      `ONNX op '${opType}' (node '${nodeName}') is not supported by advx's gradient builder${detail ? ` (${detail})` : ''}`,
    );
    this.name = 'UnsupportedOpError';
  }
}
