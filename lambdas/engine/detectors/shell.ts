import { effort } from './decode';

/**
 * Command injection by reading shell syntax: a command separator or substitution (`;`, `|`, `||`, `&&`, `&`,
 * newline, backticks, `$(`) followed by a command word, once the quoting and globbing tricks that keep a word
 * from matching (`c'a't`, `c\at`, `w$@hoami`, `/???/c?t`, `${IFS}`) are undone; Windows `for … in (…) do`, `cmd /c`.
 * A word that is also English (`echo`, `find`, `set`) needs a shell-looking argument; a word followed by `=` is a
 * URL parameter (`&id=`), not a command; in a header, `;` and `&` are separators (`Opera Mini; U; id)`).
 */

export type ShellContext = 'value' | 'header';

/** Commands no sentence begins with after a `;` or `|`. */
const COMMANDS = new Set([
  'cat',
  'ls',
  'id',
  'whoami',
  'uname',
  'wget',
  'curl',
  'nc',
  'ncat',
  'netcat',
  'bash',
  'sh',
  'zsh',
  'ksh',
  'csh',
  'tcsh',
  'dash',
  'powershell',
  'pwsh',
  'cmd',
  'ipconfig',
  'ifconfig',
  'netstat',
  'netsh',
  'nslookup',
  'systeminfo',
  'tasklist',
  'taskkill',
  'certutil',
  'bitsadmin',
  'wmic',
  'mshta',
  'rundll32',
  'regsvr32',
  'passwd',
  'chmod',
  'chown',
  'crontab',
  'sudo',
  'telnet',
  'socat',
  'nmap',
  'perl',
  'python',
  'python2',
  'python3',
  'php',
  'ruby',
  'lua',
  'node',
  'base64',
  'xxd',
  'busybox',
  'hostname',
  'rm',
  'mkfifo',
  'tftp',
  'scp',
  'ssh',
  'openssl',
  'awk',
  'gawk',
  'sed',
  'grep',
  'ps',
  'env',
  'printenv',
  'getent',
  'xterm',
  'gcc',
  'nohup',
  'uptime',
  'lsb_release',
  'ifup',
  'dig',
  'whois',
  'traceroute',
  'tracert',
  'pathping',
  'arp',
  'nbtstat',
  'reg',
  'schtasks',
  'vssadmin',
  'icacls',
  'cscript',
  'wscript',
  'expr',
  'tac',
  'nl',
  'od',
  'strings',
  'pwd',
]);
/** Commands that are also words: they count only with an argument no sentence has. */
const WORDY = new Set([
  'echo',
  'sleep',
  'set',
  'start',
  'call',
  'more',
  'less',
  'find',
  'head',
  'tail',
  'kill',
  'host',
  'time',
  'touch',
  'sort',
  'cut',
  'date',
  'which',
  'exec',
  'eval',
  'export',
  'read',
  'print',
  'printf',
  'test',
  'copy',
  'del',
  'move',
  'timeout',
  'wait',
  'fetch',
  'mail',
  'nice',
  'file',
  'ping',
  'dir',
  'type',
  'ver',
  'vol',
  'w',
  'who',
  'last',
  'net',
  'route',
]);
const SHELL_ARGUMENT = /^(?:[-/\\$%~.'"<>|0-9`{(]|[a-z]:[\\/]|\S*[/\\])/i;
const MAX_SEPARATORS = 32;

/** Undoes quoting and expansion tricks inside words: `c'a't` `c\at` `w$@hoami` `${IFS}` `$IFS$9` `{cat,/etc}`. */
function unquote(s: string): string {
  return s
    .replace(/\$\{IFS\}|\$IFS(?:\$\d)?/g, ' ')
    .replace(/\$\{[a-z_]*\}|''|""/gi, '')
    .replace(/\{,?(?=[a-z/])/gi, ' ')
    .replace(/,(?=\/)/g, ' ');
}

/** Glob match of a command word (`c?t`, `ca[t]`, `/bin/c*`), bounded by the word's length. */
function globMatches(word: string, name: string): boolean {
  if (!/[?*[]/.test(word)) return word === name;
  let pattern = '';
  for (let i = 0; i < word.length; i += 1) {
    const c = word[i]!;
    if (c === '?') pattern += '.';
    else if (c === '*') pattern += '[^/]*';
    else if (c === '[') {
      const close = word.indexOf(']', i + 1);
      if (close < 0) return false;
      pattern += `[${word.slice(i + 1, close).replace(/[\\\]^]/g, '\\$&')}]`;
      i = close;
    } else pattern += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  // `*` is the only repetition and there are few of them: the match stays linear in practice (word ≤ 32 chars).
  try {
    return new RegExp(`^${pattern}$`).test(name);
  } catch {
    // A class the shell cannot match either (`[z-a]`, a range out of order) matches nothing; it must never throw.
    return false;
  }
}

function commandName(word: string): string | undefined {
  const base = (word.split('/').pop() ?? word).toLowerCase().replace(/\.exe$/, '');
  if (base.length === 0 || base.length > 32) return undefined;
  if (!/[?*[]/.test(base)) return COMMANDS.has(base) || WORDY.has(base) ? base : undefined;
  for (const name of COMMANDS) if (globMatches(base, name)) return name;
  return undefined;
}

/** The command word at `i` (after a separator) and whether what follows makes it a command. */
function commandAt(s: string, i: number, loose: boolean): boolean {
  let j = i;
  while (j < s.length && (s[j] === ' ' || s[j] === '\t' || s[j] === '(' || s[j] === '{' || s[j] === '<'))
    j += 1;
  const start = j;
  // Quotes, backslashes and `$@` inside the word vanish in the shell: `c'a't`, `c\at`, `w$@hoami` are commands.
  while (
    j < s.length &&
    (/[A-Za-z0-9_./?*[\]-]/.test(s[j]!) || /^(?:['"\\](?=[A-Za-z0-9/])|\$[@*])/.test(s.slice(j, j + 2)))
  )
    j += s[j] === '$' ? 2 : 1;
  effort.units += j - i + 1;
  const name = commandName(s.slice(start, j).replace(/\$[@*]|['"\\]/g, ''));
  if (!name) return false;
  const after = s[j];
  // A word that is also English needs more than a following `;` or `&` ("order #42 & more; will buy"): a pipe,
  // or the end of a substitution.
  if (after === undefined || /[;|&<>)`$\n'"]/.test(after))
    return !WORDY.has(name) || (after !== undefined && /[|)`$]/.test(after));
  if (after !== ' ' && after !== '\t' && after !== ',') return false;
  const arg = s.slice(j).trimStart();
  if (arg.length === 0) return !WORDY.has(name);
  if (SHELL_ARGUMENT.test(arg)) return true;
  return loose && COMMANDS.has(name) && !WORDY.has(name) && /^[a-z0-9_.-]+\s*(?:$|[;|&`])/i.test(arg);
}

/** `for [/d /r /l /f ["opts"]…] %x in (…) do`: any switches, any one-character or named loop variable. */
const WINDOWS_FOR =
  /\bfor\s+(?:\/[a-z](?:\s+"[^"]{0,60}")?\s+){0,4}%%?[^\s%]{1,20}\s+in\s*\([^)]{0,200}\)\s*do\b/i;
/** A batch operand: `%var%`, `!var!`, `"…"`, `[…]`, `{…}`, or a bare token. */
const BATCH_OPERAND = String.raw`(?:%[^%\s]{1,30}%|![^!\s]{1,30}!|"[^"]{0,60}"|\[[^\]\s]{0,60}\]|\{[^}\s]{0,60}\}|[^\s=()]{1,30})`;
/**
 * `if [/i] [not] (exist|defined|errorlevel) …`, `if … (equ|neq|lss|leq|gtr|geq) …` (comparison words no sentence
 * uses), or `a == b` when `/i`, `not`, a batch-only operand (`%var%`, `!var!`, `[…]`, `{…}`) or a batch parameter
 * (`%1`, `"%~1"`) says it is batch.
 */
const WINDOWS_IF = new RegExp(
  String.raw`\bif(?:\s*\/i)?(?:\s+not)?\s+\(?\s*(?:(?:exist|defined)\s|errorlevel\s|${BATCH_OPERAND}\s+(?:equ|neq|lss|leq|gtr|geq)\s+\S)` +
    String.raw`|\bif(?:\s*\/i\s*|\s+not\s+|\s+(?=[%!\[{]))(?:not\s+)?\(?\s*${BATCH_OPERAND}\s*===?\s*${BATCH_OPERAND}` +
    String.raw`|\bif\s+${BATCH_OPERAND}\s*==\s*(?:%[^%\s]{1,30}%|![^!\s]{1,30}!|\[[^\]\s]{0,60}\]|\{[^}\s]{0,60}\})` +
    // A batch parameter (`%1`, `"%~1"`) on the left says batch too.
    String.raw`|\bif\s+(?:not\s+)?"?%~?[\d*]"?\s*==`,
  'i',
);
const POWERSHELL =
  /\b(?:invoke-(?:webrequest|expression|restmethod|command|item)|start-process|new-object\s+(?:system\.)?net\.webclient|downloadstring\s*\(|set-executionpolicy)\b/i;
/**
 * A value that begins with a command that only a shell runs, chained or given a shell argument; or that is nothing but
 * such a command. A bare word that is also data (`id`, `type`, `dir`, `cat`, `ping`, `ls`, `nc`: `?orderBy=id`,
 * `{"sort":"type"}`, `?action=ping`) counts only chained or with an argument.
 */
const LEADING_COMMAND =
  /^\s*(?:(?:cat|ls|id|whoami|uname|ifconfig|ipconfig|netstat|systeminfo|tasklist|dir|type|netsh|nslookup|ping|wget|curl|nc|ncat)(?:\s*(?:[;|`]|&&)|\s+(?:[a-z]:\\|\/(?:etc|bin|usr|tmp|dev|proc|var)\b|-[a-z]{1,3}\s+\S))|(?:whoami|uname|ifconfig|ipconfig|netstat|systeminfo|tasklist|netsh|nslookup|ncat)\s*$)/i;
/** An interpreter given code inline (`perl -e '…'`, `python3 -c "…"`, `php -r`, `node -e`, `busybox -c`). */
const INLINE_CODE = /\b(?:perl|python[23]?|ruby|php|node|lua|busybox|awk|gawk)\s+-[ecrE]\s*['"]/i;
/** A download tool given a URL: the first step of most droppers. */
const DOWNLOAD =
  /(?:^|[\s;|&`(])(?:wget|curl|fetch|tftp)\s+(?:-{1,2}[a-z][\w-]*(?:[\s=]\S+)?\s+){0,4}(?:https?|ftp|tftp):\/\//i;
const STRONG =
  /\$\{IFS\}|\$IFS\$\d|\/dev\/(?:tcp|udp)\/|\b(?:ba|z|k)?sh\s+-[ci]\b|\bcmd(?:\.exe)?\s+\/[ck]\b|\bpowershell(?:\.exe)?\s+(?:-[a-z]+\s+)*-(?:e|en|enc|encodedcommand|c|command)\b|\biex\s*\(|\(\)\s*\{\s*[:\w]*\s*;\s*\}\s*;|%(?:comspec|systemroot|windir)%/i;

/** Whether `text` (already decoded) reads as a shell command injection in this context. */
export function looksLikeCommand(text: string, context: ShellContext): boolean {
  if (
    STRONG.test(text) ||
    WINDOWS_FOR.test(text) ||
    WINDOWS_IF.test(text) ||
    POWERSHELL.test(text) ||
    INLINE_CODE.test(text)
  )
    return true;
  if (context === 'value' && DOWNLOAD.test(text)) return true;
  if (context === 'value' && LEADING_COMMAND.test(text)) return true;
  if (!/[;|&`\n\r$]/.test(text)) return false;
  const s = unquote(text);
  const queryLike = /[?=]/.test(s);
  let seen = 0;
  for (let i = 0; i < s.length && seen < MAX_SEPARATORS; i += 1) {
    effort.units += 1;
    const c = s[i]!;
    let at = -1;
    let loose = false;
    if (c === '`' || (c === '$' && s[i + 1] === '(')) {
      at = c === '`' ? i + 1 : i + 2;
      loose = true;
    } else if (c === '|' || (c === '&' && s[i + 1] === '&')) {
      at = s[i + 1] === c ? i + 2 : i + 1;
      loose = true;
    } else if (context === 'value' && (c === ';' || c === '\n' || c === '\r')) at = i + 1;
    else if (context === 'value' && c === '&') {
      // In a URL-shaped value a bare `&` separates parameters: it starts a command only when spaced like one.
      if (queryLike && s[i + 1] !== ' ') continue;
      at = i + 1;
    }
    if (at < 0) continue;
    seen += 1;
    if (context === 'header' && c === '|' && s[at] !== ' ') continue;
    if (commandAt(s, at, loose)) return true;
    if (at > i + 1) i = at - 1;
  }
  return false;
}
