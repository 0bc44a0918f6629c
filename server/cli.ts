/**
 * `netloom` command line: dispatches subcommands. Engine commands (plan/up/down/status/gc/recover) live in
 * `engine/commands.ts`; `serve` lives in `serve.ts`; `discover` in `discovery/report.ts`; `check`/`exercise` in `exercise/cli.ts`. Exit codes: 0 ok, 1 failure (rolled back), 2 invalid lab/usage.
 */
const USAGE = `netloom — visual designer for Linux virtual networks

Usage:
  netloom serve [--port N] [--listen ADDR] [--sandbox|--host] [--token T] [--lab FILE]
  netloom plan FILE [--json] [--script]
  netloom up FILE
  netloom down FILE
  netloom status FILE [--json]
  netloom gc [--yes]
  netloom recover
  netloom discover [--json] [--script] [--mac]
  netloom import FILE [--from containerlab|core] [-o OUT] [--name NAME] [--json]
  netloom export FILE --to containerlab [-o OUT]
  netloom check EXERCISE [--json] [--lab FILE]
  netloom exercise start|solve|show|list [EXERCISE]

Lab files may be JSON or YAML. State directory: $NETLOOM_STATE_DIR.`;

export async function main(args: string[]): Promise<number> {
  try {
    return await dispatch(args);
  } catch (e) {
    // NETLOOM_SANDBOX_PID naming a process that is no sandbox holder (engine/sandboxAttach.ts): usage error.
    if (e instanceof Error && e.name === 'SandboxAttachError') {
      console.error(`netloom: ${e.message}`);
      return 2;
    }
    throw e;
  }
}

async function dispatch(args: string[]): Promise<number> {
  const [cmd, ...rest] = args;
  switch (cmd) {
    case 'serve': {
      const { serve } = await import('./serve');
      return serve(rest);
    }
    case 'plan':
    case 'up':
    case 'down':
    case 'status':
    case 'gc':
    case 'recover': {
      const { runEngineCommand } = await import('./engine/commands');
      return runEngineCommand(cmd, rest);
    }
    case 'import':
    case 'export': {
      const { runInterop } = await import('./interop/cli');
      return runInterop(cmd, rest);
    }
    case 'discover': {
      const { runDiscover } = await import('./discovery/report');
      return runDiscover(rest);
    }
    case 'check':
    case 'exercise':
      return (await import('./exercise/cli')).runExerciseCommand(cmd, rest);
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      console.log(USAGE);
      return cmd === undefined ? 2 : 0;
    default:
      console.error(`netloom: unknown command "${cmd}"\n\n${USAGE}`);
      return 2;
  }
}
