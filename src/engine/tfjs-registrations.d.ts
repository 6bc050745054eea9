// `#tfjs-registrations` (package.json `imports`) registers tfjs' gradients and chained ops; it exports nothing.
declare module '#tfjs-registrations';
