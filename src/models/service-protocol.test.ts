import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  decodePredictRequest,
  encodePredictRequest,
  inputsPerRequest,
  predictResponse,
  readServiceInfo,
  ServiceRequestError,
} from './service-protocol.js';

const info = {
  inputShape: [2, 3, 1] as [number, number, number],
  bounds: [0, 1] as [number, number],
  maxBatch: 4,
};

function ramp(n: number): Float32Array {
  return Float32Array.from({ length: n * 6 }, (_, i) => (i % 7) / 7 + 1e-3 * (i % 3));
}

test('a batch survives the base64 request exactly; nested and flat arrays read the same', () => {
  const data = ramp(3);
  const encoded = JSON.parse(encodePredictRequest(data, [3, 2, 3, 1]));
  assert.equal(typeof encoded.inputs, 'string');
  const decoded = decodePredictRequest(encoded, info);
  assert.deepEqual(decoded.shape, [3, 2, 3, 1]);
  assert.deepEqual(Array.from(decoded.data), Array.from(data));
  const nested = Array.from({ length: 3 }, (_, n) =>
    Array.from({ length: 2 }, (_, h) => Array.from({ length: 3 }, (_, w) => [data[n * 6 + h * 3 + w]])),
  );
  assert.deepEqual(Array.from(decodePredictRequest({ inputs: nested }, info).data), Array.from(data));
  const flat = { inputs: Array.from(data), shape: [3, 2, 3, 1] };
  assert.deepEqual(Array.from(decodePredictRequest(flat, info).data), Array.from(data));
});

test('a bad request is a 400 that names the problem', () => {
  const ok = JSON.parse(encodePredictRequest(ramp(1), [1, 2, 3, 1]));
  const cases: [unknown, RegExp][] = [
    [[1, 2], /body must be a JSON object/],
    [{ shape: [1, 2, 3, 1] }, /no "inputs"/],
    [{ ...ok, shape: [1, 3, 2, 1] }, /inputs have shape \[1,3,2,1\], the model takes \[N,2,3,1\]/],
    [{ ...ok, shape: [1, 2, 3] }, /"shape" must be \[N,H,W,C\]/],
    [
      JSON.parse(encodePredictRequest(ramp(5), [5, 2, 3, 1])),
      /a batch of 5 is over this service's limit of 4/,
    ],
    [
      { ...ok, inputs: ok.inputs.slice(4) },
      /"inputs" holds 21 bytes: shape \[1,2,3,1\] needs 24 bytes of float32/,
    ],
    [{ ...ok, inputs: `${ok.inputs.slice(0, 30)}!!` }, /"inputs" holds 22 bytes: shape/],
    [{ ...ok, inputs: `${ok.inputs}AA==` }, /"inputs" holds 25 bytes: shape/],
    [{ inputs: [1, 2, 3] }, /give "shape"/],
    [
      {
        inputs: [
          [
            [[0], [0], [0]],
            [[0], [0]],
          ],
        ],
      },
      /inputs\[0\]\[1\] must be an array of 3/,
    ],
    [
      {
        inputs: [
          [
            [[0], [0], ['x']],
            [[0], [0], [0]],
          ],
        ],
      },
      /inputs\[0\]\[0\]\[2\]\[0\] is not a number/,
    ],
    [
      { inputs: [0, 0, 0, 0, 0, 2], shape: [1, 2, 3, 1] },
      /input value 2 at offset 5 is outside the bounds \[0, 1\]/,
    ],
  ];
  for (const [body, message] of cases) {
    assert.throws(
      () => decodePredictRequest(body, info),
      (error: unknown) =>
        error instanceof ServiceRequestError && error.status === 400 && message.test(error.message),
      String(message),
    );
  }
});

test('inputsPerRequest: that many inputs fit in the body limit, two more do not', () => {
  for (const [size, limit] of [
    [784, 64 * 1024],
    [784, 5000],
    [150528, 8 * 1024 * 1024],
  ]) {
    const n = inputsPerRequest(size, limit);
    assert.ok(n >= 1, `${size} values in ${limit} bytes`);
    const body = (count: number) => encodePredictRequest(new Float32Array(count * size), [count, size, 1, 1]);
    assert.ok(Buffer.byteLength(body(n)) <= limit, `${n} inputs of ${size} fit`);
    assert.ok(Buffer.byteLength(body(n + 2)) > limit, `${n + 2} inputs of ${size} do not`);
  }
  assert.equal(inputsPerRequest(1000, 2000), 0);
});

test('readServiceInfo accepts a service and says what is missing otherwise', () => {
  const good = {
    service: 'advx-model-service',
    version: 1,
    name: 'm',
    engine: 'tfjs',
    inputShape: [2, 3, 1],
    bounds: [0, 1],
    numClasses: 2,
    labels: ['a', 'b'],
    output: 'topk',
    topK: 1,
    maxBatch: 4,
    maxBodyBytes: 1000,
  };
  assert.deepEqual(readServiceInfo(good, 'u'), good);
  assert.throws(
    () => readServiceInfo({ hello: 1 }, 'http://x/'),
    /^Error: http:\/\/x\/: not an advx model service/,
  );
  assert.throws(() => readServiceInfo('<html>', 'u'), /not an advx model service/);
  assert.throws(() => readServiceInfo({ ...good, version: 2 }, 'u'), /protocol version 2, advx speaks 1/);
  assert.throws(
    () => readServiceInfo({ ...good, inputShape: [2, 3], labels: ['a'], topK: 0 }, 'u'),
    /^Error: u: the service info lacks a valid inputShape \[H,W,C\], labels \(one a class\), topK$/,
  );
});

test('answers go out as rows (or labels, or top-k lists) under the field of their kind', () => {
  assert.deepEqual(predictResponse({ kind: 'scores', values: [0.25, 0.75, 1, 0] }, 2), {
    scores: [
      [0.25, 0.75],
      [1, 0],
    ],
  });
  assert.deepEqual(predictResponse({ kind: 'label', labels: [1, 0] }, 2), { labels: [1, 0] });
  assert.deepEqual(predictResponse({ kind: 'topk', top: [[{ index: 1, p: 0.75 }]] }, 2), {
    topk: [[{ index: 1, p: 0.75 }]],
  });
});
