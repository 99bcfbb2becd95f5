/**
 * The supervisor: a small POSIX-sh script that runs a job's setup then run commands detached
 * from the controller, so the job survives a dropped connection, a closed laptop or a reloaded
 * VS Code. The same script serves the local target (spawned with `detached: true`, which makes
 * it a session and process-group leader) and SSH targets (started with `setsid`, or `nohup`
 * where setsid is missing).
 *
 * Meta dir layout (all written by the supervisor; small files replaced atomically with mv):
 *   setup.sh, run.sh   the commands, written by the controller (never interpolated into argv)
 *   pid                the supervisor's pid == the job's process group id
 *   step               setup | run | done
 *   heartbeat          epoch seconds, refreshed every FERRY_HEARTBEAT_S (default 5)
 *   exit               "<code> <step>" once the job has ended (code 143 after SIGTERM)
 *   log                stdout and stderr of both steps, appended; read by byte offset
 */
export const SUPERVISOR_SCRIPT = `#!/bin/sh
# Ferry supervisor. Usage: sh supervisor.sh META_DIR WORK_DIR
meta="$1"; work="$2"
put() { printf '%s\\n' "$2" > "$meta/$1.tmp" && mv -f "$meta/$1.tmp" "$meta/$1"; }
put pid "$$"
if command -v bash >/dev/null 2>&1; then run_sh=bash; else run_sh=sh; fi
hb_s="\${FERRY_HEARTBEAT_S:-5}"
# The heartbeat loop sleeps in a child it can kill, so no stray sleep outlives the job.
( s=""; trap 'kill $s 2>/dev/null; exit 0' TERM
  while :; do put heartbeat "$(date +%s)"; sleep "$hb_s" & s=$!; wait $s; done ) >/dev/null 2>&1 &
hb=$!
child=""
stopping=0
on_term() { stopping=1; [ -n "$child" ] && kill -TERM "$child" 2>/dev/null; }
trap on_term TERM INT HUP
finish() {
  kill "$hb" 2>/dev/null
  put step done
  put exit "$1 $2"
  exit "$1"
}
cd "$work" 2>>"$meta/log" || finish 127 setup
# Runs one step in the background and waits for it; a trapped signal interrupts wait, so wait
# again until the child is really gone and its status is known.
run_step() {
  put step "$1"
  "$run_sh" "$meta/$1.sh" </dev/null >>"$meta/log" 2>&1 &
  child=$!
  while :; do
    wait "$child"; code=$?
    kill -0 "$child" 2>/dev/null || break
  done
  child=""
  return "$code"
}
if [ -s "$meta/setup.sh" ]; then
  run_step setup; code=$?
  if [ "$code" -ne 0 ] || [ "$stopping" -eq 1 ]; then
    [ "$code" -eq 0 ] && code=143
    finish "$code" setup
  fi
fi
[ "$stopping" -eq 1 ] && finish 143 setup
run_step run; code=$?
finish "$code" run
`;

/** Parses the supervisor's `exit` file: "<code> <step>". */
export function parseExitFile(text: string): { exitCode: number; step: 'setup' | 'run' } | undefined {
  const m = /^(\d+)\s+(setup|run)\s*$/.exec(text.trim());
  if (!m) return undefined;
  return { exitCode: Number(m[1]), step: m[2] as 'setup' | 'run' };
}

/** A step name from the `step` file, or undefined while the supervisor has not started. */
export function parseStepFile(text: string): 'setup' | 'run' | 'done' | undefined {
  const s = text.trim();
  return s === 'setup' || s === 'run' || s === 'done' ? s : undefined;
}

/** Exit code -> signal name for codes above 128 (143 -> SIGTERM). */
export function signalOfExitCode(code: number): string | undefined {
  const names: Record<number, string> = { 1: 'SIGHUP', 2: 'SIGINT', 9: 'SIGKILL', 15: 'SIGTERM' };
  return code > 128 ? names[code - 128] ?? `SIG${code - 128}` : undefined;
}
