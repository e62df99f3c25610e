// Command-line flags of the bench scripts: one handler per flag, `value()` takes the flag's value.

/**
 * Walks `argv`, calling the handler of each flag; `value()` returns the next argument (an error
 * names the flag when it is missing). An unknown flag throws with `usage`.
 *
 * @example
 * ```ts
 * const a = { model: '', json: false };
 * readFlags(process.argv.slice(2), { '--model': (v) => (a.model = v()), '--json': () => (a.json = true) }, '--model M [--json]');
 * ```
 */
export function readFlags(argv: string[], handlers: Record<string, (value: () => string) => void>, usage: string): void {
  for (let t = 0; t < argv.length; t++) {
    const f = argv[t];
    const handler = Object.hasOwn(handlers, f) ? handlers[f] : undefined;
    if (handler === undefined) throw new Error(`unknown argument ${f} (use ${usage})`);
    handler(() => {
      const v = argv[++t];
      if (v === undefined) throw new Error(`${f} needs a value`);
      return v;
    });
  }
}
