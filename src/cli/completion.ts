// `podledger completion bash|zsh`: a completion script made from the command definitions themselves
// (program.ts): the commands, each one's options, the values an option or argument may take
// (its choices; for --type the event types of core/events.ts), and files where a value is a path.
import type { Argument, Command, Option } from 'commander';
import { EVENT_TYPES } from './args.js';

export const COMPLETION_SHELLS = ['bash', 'zsh'] as const;
export type Shell = (typeof COMPLETION_SHELLS)[number];

/** What a value may be: these words, a path, or anything (nothing to offer). */
type Values = { words: readonly string[] } | { path: 'file' | 'dir' } | { free: true };

interface OptionModel { flag: string; about: string; values?: Values; repeats: boolean }
interface CommandModel { name: string; about: string; options: OptionModel[]; args: { name: string; about: string; values: Values }[] }

/** Values named by an option rather than declared as choices: the event types --type is checked against. */
const NAMED_VALUES: Readonly<Record<string, readonly string[]>> = { '--type': EVENT_TYPES };

function valuesOf(flags: string, choices: readonly string[] | undefined, long?: string): Values {
  if (choices) return { words: choices };
  const named = long ? NAMED_VALUES[long] : undefined;
  if (named) return { words: named };
  if (/<(file|path)>/.test(flags)) return { path: 'file' };
  if (/<dir>/.test(flags)) return { path: 'dir' };
  return { free: true };
}

const optionModel = (o: Option): OptionModel => ({
  flag: o.long ?? o.flags,
  about: o.description,
  ...(o.required || o.optional ? { values: valuesOf(o.flags, o.argChoices, o.long) } : {}),
  repeats: o.variadic,
});

const argModel = (a: Argument) => ({ name: a.name(), about: a.description, values: valuesOf('', a.argChoices) });

/** The commands as completion sees them, in the order of --help; commander's own `help` left out. */
export function commandModels(program: Command): CommandModel[] {
  return program.commands.map((c) => ({
    name: c.name(),
    about: c.summary() || c.description(),
    options: [...c.options.map(optionModel), { flag: '--help', about: 'display help for command', repeats: false }],
    args: c.registeredArguments.map(argModel),
  }));
}

export function completionScript(shell: Shell, program: Command): string {
  return shell === 'bash' ? bashScript(commandModels(program)) : zshScript(commandModels(program));
}

const bashWords = (words: readonly string[]) => words.join(' ');

function bashValues(v: Values): string {
  if ('words' in v) return `COMPREPLY=($(compgen -W "${bashWords(v.words)}" -- "$cur"))`;
  if ('path' in v) return v.path === 'dir' ? 'COMPREPLY=($(compgen -d -- "$cur"))' : 'COMPREPLY=($(compgen -f -- "$cur"))';
  return 'COMPREPLY=()';
}

function bashCommand(c: CommandModel): string {
  const valued = c.options.filter((o) => o.values);
  const lines = [`    ${c.name})`, '      case "$prev" in'];
  for (const o of valued) lines.push(`        ${o.flag}) ${bashValues(o.values!)}; return 0 ;;`);
  lines.push('      esac');
  // a variadic option (--type A B) goes on taking values until the next option
  for (const o of c.options.filter((x) => x.repeats && x.values)) {
    lines.push(`      if [[ "$last" == ${o.flag} && "$cur" != -* ]]; then ${bashValues(o.values!)}; return 0; fi`);
  }
  const argWords = c.args.flatMap((a) => ('words' in a.values ? a.values.words : []));
  if (argWords.length > 0) lines.push(`      if [[ "$cur" != -* ]]; then COMPREPLY=($(compgen -W "${bashWords(argWords)}" -- "$cur")); return 0; fi`);
  lines.push(`      COMPREPLY=($(compgen -W "${bashWords(c.options.map((o) => o.flag))}" -- "$cur"))`, '      ;;');
  return lines.join('\n');
}

function bashScript(commands: CommandModel[]): string {
  return `# bash completion for podledger (written by 'podledger completion bash'; generated from its command definitions)
# Use: source <(podledger completion bash), or save it as /etc/bash_completion.d/podledger
_podledger() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="" cmd="" last="" i
  (( COMP_CWORD > 0 )) && prev="\${COMP_WORDS[COMP_CWORD-1]}"
  for (( i = 1; i < COMP_CWORD; i++ )); do
    case "\${COMP_WORDS[i]}" in
      -*) last="\${COMP_WORDS[i]}" ;;
      *) [[ -z "$cmd" ]] && cmd="\${COMP_WORDS[i]}" ;;
    esac
  done
  if [[ -z "$cmd" ]]; then
    COMPREPLY=($(compgen -W "${bashWords(commands.map((c) => c.name))} --help --version" -- "$cur"))
    return 0
  fi
  case "$cmd" in
${commands.map(bashCommand).join('\n')}
  esac
  return 0
}
complete -o default -F _podledger podledger
`;
}

/** Text inside a zsh _arguments spec or _describe entry: its first clause, no asides, without the characters those read. */
const zshText = (text: string) => text.replace(/\s+\([^)]*\)(?=[\s,.;]|$)/g, '').split(';')[0]!.replace(/'/g, '’').replace(/[[\]:\\`$]/g, '').replace(/\s+/g, ' ').trim();

function zshValues(v: Values, what: string): string {
  if ('words' in v) return `:${what}:(${v.words.join(' ')})`;
  if ('path' in v) return v.path === 'dir' ? `:${what}:_files -/` : `:${what}:_files`;
  return `:${what}: `;
}

function zshCommand(c: CommandModel): string {
  const specs = c.options.map((o) => {
    const what = o.flag.slice(2);
    return `'${o.repeats ? '*' : ''}${o.flag}[${zshText(o.about)}]${o.values ? zshValues(o.values, what) : ''}'`;
  });
  c.args.forEach((a, i) => specs.push(`'${i + 1}${zshValues(a.values, a.name)}'`));
  return `        ${c.name})\n          _arguments \\\n            ${specs.join(' \\\n            ')} ;;`;
}

function zshScript(commands: CommandModel[]): string {
  return `#compdef podledger
# zsh completion for podledger (written by 'podledger completion zsh'; generated from its command definitions)
# Use: save it as _podledger in a folder of $fpath, or source <(podledger completion zsh) after compinit
_podledger() {
  local curcontext="$curcontext" state line
  typeset -A opt_args
  _arguments -C '(- *)--help[display help]' '(- *)--version[output the version number]' '1: :->command' '*:: :->args' && return 0
  case $state in
    command)
      local -a commands
      commands=(
${commands.map((c) => `        '${c.name}:${zshText(c.about)}'`).join('\n')}
      )
      _describe -t commands 'podledger command' commands ;;
    args)
      case $line[1] in
${commands.map(zshCommand).join('\n')}
      esac ;;
  esac
}
if [[ $zsh_eval_context[-1] == loadautofunc ]]; then _podledger "$@"; else compdef _podledger podledger; fi
`;
}
