import { UsageError } from "../errors"
import { out, parse } from "./args"
import { didYouMean } from "./suggest"

export const help = `Usage: hive completion bash|zsh|fish

Prints a script that completes hive's commands, subcommands and options in that shell.

  bash   echo 'source <(hive completion bash)' >> ~/.bashrc
         (or: hive completion bash > ~/.local/share/bash-completion/completions/hive)
  zsh    hive completion zsh > "\${fpath[1]}/_hive"   (then start a new shell)
         (or: echo 'source <(hive completion zsh)' >> ~/.zshrc, after compinit)
  fish   hive completion fish > ~/.config/fish/completions/hive.fish

The script is made from each command's --help, so it always matches this binary: make it again after an
upgrade if you wrote it to a file.

Options:
  -h, --help   show this help`

export const SHELLS = ["bash", "zsh", "fish"] as const
type Shell = (typeof SHELLS)[number]

/** What a shell completes for one command. */
export type Completion = { name: string; summary: string; subcommands: string[]; options: string[] }

// Read from the help text every command has: `hive token create …` lines name subcommands (`a|b` names two; `[list]` an optional one),
// and the `[--opt]` of those lines and the indented `--name` lines of its Options section name options. Nothing to keep in step by hand.
export function completionOf(name: string, summary: string, helpText: string): Completion {
  const subcommands = new Set<string>()
  for (const m of helpText.matchAll(new RegExp(`^\\s*(?:Usage:\\s+)?hive ${name} \\[?([a-z][a-z|-]*)`, "gm")))
    for (const sub of m[1]!.split("|")) subcommands.add(sub)
  const options = new Set<string>()
  for (const m of helpText.matchAll(/^ {2,}(?:-[a-zA-Z], )?(--[a-z][a-z-]*)/gm)) options.add(m[1]!)
  for (const m of helpText.matchAll(/^\s*(?:Usage:\s+)?hive .*$/gm)) for (const o of m[0].matchAll(/\[(--[a-z][a-z-]*)/g)) options.add(o[1]!)
  options.add("--help")
  return { name, summary, subcommands: [...subcommands], options: [...options] }
}

const words = (list: string[]) => list.join(" ")
const singleQuoted = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`

function bash(commands: Completion[]): string {
  const cases = commands.map((c) => `    ${c.name}) subs=${singleQuoted(words(c.subcommands))}; opts=${singleQuoted(words(c.options))} ;;`).join("\n")
  return `# hive completion for bash: source <(hive completion bash)
_hive() {
  local cur=\${COMP_WORDS[COMP_CWORD]} subs="" opts=""
  COMPREPLY=()
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=($(compgen -W ${singleQuoted(`${words(commands.map((c) => c.name))} help`)} -- "$cur"))
    return
  fi
  case "\${COMP_WORDS[1]}" in
${cases}
    help) subs=${singleQuoted(words(commands.map((c) => c.name)))} ;;
  esac
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$opts" -- "$cur"))
  elif [ "$COMP_CWORD" -eq 2 ] && [ -n "$subs" ]; then
    COMPREPLY=($(compgen -W "$subs" -- "$cur"))
  fi
}
complete -o default -F _hive hive
`
}

function zsh(commands: Completion[]): string {
  const described = commands.map((c) => `    ${singleQuoted(`${c.name}:${c.summary}`)}`).join("\n")
  const cases = commands.map((c) => `    ${c.name}) subs=(${words(c.subcommands)}); opts=(${words(c.options)}) ;;`).join("\n")
  return `#compdef hive
# hive completion for zsh: hive completion zsh > "\${fpath[1]}/_hive"
_hive() {
  local -a commands subs opts
  commands=(
${described}
  )
  if (( CURRENT == 2 )); then
    _describe 'hive command' commands
    return
  fi
  case $words[2] in
${cases}
    help) subs=(${words(commands.map((c) => c.name))}) ;;
  esac
  if [[ $words[CURRENT] == -* ]]; then
    compadd -- $opts
  elif (( CURRENT == 3 && $#subs )); then
    compadd -- $subs
  else
    _files
  fi
}
if [ "$funcstack[1]" = "_hive" ]; then _hive "$@"; else compdef _hive hive; fi
`
}

function fish(commands: Completion[]): string {
  const quoted = (s: string) => `'${s.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`
  const lines = ["# hive completion for fish: hive completion fish > ~/.config/fish/completions/hive.fish", "complete -c hive -f"]
  for (const c of commands) lines.push(`complete -c hive -n __fish_use_subcommand -a ${c.name} -d ${quoted(c.summary)}`)
  for (const c of commands) {
    if (c.subcommands.length)
      lines.push(
        `complete -c hive -n ${quoted(`__fish_seen_subcommand_from ${c.name}; and not __fish_seen_subcommand_from ${words(c.subcommands)}`)} -a ${quoted(words(c.subcommands))}`,
      )
    for (const o of c.options) lines.push(`complete -c hive -n ${quoted(`__fish_seen_subcommand_from ${c.name}`)} -l ${o.slice(2)}`)
  }
  return `${lines.join("\n")}\n`
}

const SCRIPTS: Record<Shell, (commands: Completion[]) => string> = { bash, zsh, fish }

/** `hive completion`, given every command (main.ts's table, loaded only here). */
export function completionCommand(load: () => Promise<Completion[]>) {
  return {
    help,
    async run(argv: string[]): Promise<number> {
      const { values, positionals } = parse("hive completion", argv, {})
      if (values.help) return (out(help), 0)
      const [shell, extra] = positionals
      if (!shell) throw new UsageError("hive completion: name the shell: bash, zsh or fish (see `hive completion --help`)")
      if (!(SHELLS as readonly string[]).includes(shell))
        throw new UsageError(`hive completion: unknown shell "${shell}"${didYouMean(shell, SHELLS)}: bash, zsh or fish`)
      if (extra !== undefined) throw new UsageError(`hive completion: unexpected argument "${extra}" (see \`hive completion --help\`)`)
      process.stdout.write(SCRIPTS[shell as Shell](await load()))
      return 0
    },
  }
}
