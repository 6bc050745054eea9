/**
 * Where `getExperimentCommand` was: it lives in ../experiment-command.ts now (a command module imports no
 * other command module). Kept for the experiment commands that still import it from here.
 */
export { getExperimentCommand } from '../experiment-command.js';
