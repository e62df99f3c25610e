import { Command, CommanderError } from 'commander';
import { LrmlError } from '../errors.js';
import { LRML_VERSION } from '../version.js';
import { registerAnalyze } from './commands/analyze.js';
import { registerDemo } from './commands/demo.js';
import { registerEvaluate } from './commands/evaluate.js';
import { registerExplain } from './commands/explain.js';
import { registerExport } from './commands/export.js';
import { registerGenerate } from './commands/generate.js';
import { registerInfo } from './commands/info.js';
import { registerRecommend } from './commands/recommend.js';
import { registerServe } from './commands/serve.js';
import { registerSimilar } from './commands/similar.js';
import { registerSplit } from './commands/split.js';
import { registerTrain } from './commands/train.js';
import { registerTune } from './commands/tune.js';

/**
 * Builds the `lrml` command-line program (commander). Commands throw; `main` prints.
 *
 * @example
 * ```ts
 * await buildProgram().parseAsync(['node', 'lrml', 'info', '--data', 'ratings.csv']);
 * ```
 */
export function buildProgram(): Command {
  const program = new Command();
  program
    .name('lrml')
    .description('Latent Relational Metric Learning (LRML) and metric-learning recommenders: train, evaluate, recommend, serve')
    .version(LRML_VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .configureHelp({ sortSubcommands: false })
    // parser errors (unknown option or command, missing option or value) read like every other
    // error, with code USAGE; set before the commands are added so that they inherit both
    .configureOutput({ outputError: (text, write) => write(text.replace(/^error: /, 'error [USAGE]: ')) })
    .exitOverride();
  registerDemo(program);
  registerInfo(program);
  registerSplit(program);
  registerGenerate(program);
  registerTrain(program);
  registerEvaluate(program);
  registerTune(program);
  registerRecommend(program);
  registerSimilar(program);
  registerExplain(program);
  registerExport(program);
  registerAnalyze(program);
  registerServe(program);
  return program;
}

/**
 * Runs the CLI; prints `error [CODE]: message` and exits 2 on an LrmlError or a usage error
 * (`error [USAGE]: …`: unknown option or command, missing required option); `--help` and
 * `--version` exit 0.
 */
export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      // commander has printed the message (or the help); 0 for --help / --version
      process.exitCode = e.exitCode === 0 ? 0 : 2;
      return;
    }
    if (e instanceof LrmlError) {
      process.stderr.write(`error [${e.code}]: ${e.message}\n`);
      process.exitCode = 2;
      return;
    }
    process.stderr.write(`internal error: ${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = 1;
  }
}
