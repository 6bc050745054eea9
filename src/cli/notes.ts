/**
 * Notes on stderr about what the user gave that the run does not use (`advx: note: ...`, one line each,
 * each once): an option the chosen attack does not take, --bounds with a zoo model, the values
 * `--pairs zip` leaves out. advx never ignores an option silently: it says so and goes on.
 *
 * Notes wait until the options are all checked: a command prints them with `flushNotes()` when its work
 * starts, and whatever is left prints when the process exits with code 0. A run refused for bad input
 * prints its one-line error and no notes. stdout stays clean for --json.
 */
const seen = new Set<string>();
const pending: string[] = [];
let printAtExit = false;

export function note(message: string): void {
  if (seen.has(message)) return;
  seen.add(message);
  pending.push(message);
  if (!printAtExit) {
    printAtExit = true;
    process.once('exit', (code) => {
      if (code === 0) flushNotes();
    });
  }
}

/** Prints the notes not printed yet (stderr writes are synchronous on Linux, also at exit). */
export function flushNotes(): void {
  for (const message of pending.splice(0)) process.stderr.write(`advx: note: ${message}\n`);
}
