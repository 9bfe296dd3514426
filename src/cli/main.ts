// The `sigmoid-core` command: dispatch to a subcommand, help and usage, exit codes
// (0 ok, 1 runtime error, 2 usage error). Errors are one line on stderr,
// `sigmoid-core: <message>`; a stack trace only for errors that are not ours (bugs).

import { constants } from 'node:os';
import { SigmoidCoreError } from '../errors.js';
import { removeOpenTemps } from '../io/files.js';
import { type Command, formatFlags, type Io, parseFlags, UsageError } from './args.js';
import { gramCommand } from './gram.js';
import { infoCommand } from './info.js';
import { predictCommand } from './predict.js';
import { svmCommand } from './svm.js';
import { trainCommand } from './train.js';

declare const __SIGMOID_CORE_VERSION__: string | undefined;
const VERSION = typeof __SIGMOID_CORE_VERSION__ === 'string' ? __SIGMOID_CORE_VERSION__ : 'dev';

const COMMANDS: Record<string, Command> = {
  info: infoCommand as unknown as Command,
  gram: gramCommand as unknown as Command,
  train: trainCommand as unknown as Command,
  predict: predictCommand as unknown as Command,
  svm: svmCommand as unknown as Command,
};

function usage(): string {
  const names = Object.keys(COMMANDS);
  const width = Math.max(...names.map((n) => n.length));
  return [
    `sigmoid-core ${VERSION}: WebGPU compute engine for sigmoid networks and kernels, with a CPU fallback`,
    '',
    'usage: sigmoid-core <command> [options]',
    '',
    'commands:',
    ...names.map((n) => `  ${n.padEnd(width)}  ${COMMANDS[n]!.summary}`),
    '',
    "Run 'sigmoid-core <command> --help' for a command's options, 'sigmoid-core --version' for the version.",
  ].join('\n');
}

function commandHelp(name: string, cmd: Command): string {
  return [`usage: sigmoid-core ${cmd.usage}`, '', `${name}: ${cmd.summary}`, '', 'options:', formatFlags(cmd.flags)].join('\n');
}

/** The words that ask for help (also as `help`'s topic: the general usage). */
const HELP = new Set(['help', '--help', '-h']);

const quoted = (args: readonly string[]): string => args.map((a) => JSON.stringify(a)).join(' ');

/** The command `name`; a UsageError naming the commands for any other. */
function command(name: string): Command {
  const cmd = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (cmd === undefined) {
    throw new UsageError(`unknown command ${JSON.stringify(name)}; commands: ${Object.keys(COMMANDS).join(', ')} (see 'sigmoid-core --help')`);
  }
  return cmd;
}

export async function main(argv: readonly string[], io: Io): Promise<number> {
  const [name, ...rest] = argv;
  try {
    if (name === undefined) {
      io.err(usage());
      return 2;
    }
    if (HELP.has(name)) {
      const [topic, ...extra] = rest;
      if (extra.length > 0) throw new UsageError(`${name} takes at most one command, got ${quoted(rest)}`);
      io.out(topic === undefined || HELP.has(topic) ? usage() : commandHelp(topic, command(topic)));
      return 0;
    }
    if (name === '--version' || name === '-v') {
      if (rest.length > 0) throw new UsageError(`${name} takes no arguments, got ${quoted(rest)}`);
      io.out(VERSION);
      return 0;
    }
    const cmd = command(name);
    if (rest.includes('--help') || rest.includes('-h')) {
      io.out(commandHelp(name, cmd));
      return 0;
    }
    await cmd.run(parseFlags(name, rest, cmd.flags), io);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`sigmoid-core: ${err.message}`);
      return 2;
    }
    if (err instanceof SigmoidCoreError) {
      io.err(`sigmoid-core: ${err.message}`);
      return 1;
    }
    io.err(`sigmoid-core: unexpected error (a bug; please report it): ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return 1;
  }
}

// A reader that closed the pipe (`| head`) ends that stream's output, not the command (a
// `train 2>&1 | head` must still save its model) and not in Node's stack trace for an
// unhandled EPIPE; the exit code stays the command's. Another write error (`> /dev/full`) is
// said on stderr, and fails a command that would have exited 0.
const closed = new Set<NodeJS.WriteStream>();
let streamFailed = false;
const writeTo = (stream: NodeJS.WriteStream, text: string): void => void (closed.has(stream) || stream.write(text));
for (const [stream, name] of [[process.stdout, 'standard output'], [process.stderr, 'standard error']] as const) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    closed.add(stream);
    if (err.code === 'EPIPE') return;
    streamFailed = true;
    writeTo(process.stderr, `sigmoid-core: cannot write ${name}: ${err.code ?? err.message}\n`);
  });
}

const stdio: Io = {
  out: (line) => writeTo(process.stdout, `${line}\n`),
  err: (line) => writeTo(process.stderr, `${line}\n`),
};

// Ctrl-C or a kill mid-run: the outputs being written are dropped (their temp files removed;
// each target stays as it was) and the exit code says which signal (128 + its number). Node
// runs this between tasks: a long synchronous step (parsing a big CSV) ends first.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    const dropped = removeOpenTemps();
    writeTo(process.stderr, `sigmoid-core: interrupted by ${signal}${dropped > 0 ? '; the output being written was not written' : ''}\n`);
    process.exit(128 + constants.signals[signal]);
  });
}

// Exit explicitly once stdout and stderr are flushed: a WebGPU instance (Dawn) may keep the
// event loop alive after the engine is destroyed.
const code = await main(process.argv.slice(2), stdio);
await Promise.all([process.stdout, process.stderr].filter((s) => !closed.has(s)).map((s) => new Promise((done) => s.write('', done))));
process.exit(code === 0 && streamFailed ? 1 : code);
