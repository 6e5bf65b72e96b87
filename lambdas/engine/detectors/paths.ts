import { effort } from './decode';

/**
 * Path traversal, local and remote file inclusion, judged on the decoded text. A path is split into segments;
 * traversal is a `..` segment (also `....//`, `..;/`, either slash); a sensitive file is a known system file or
 * secret (Unix, Windows, application) matched segment by segment with the caller's globbing honoured
 * (`/etc/pa[s]swd`, `/e??/p?ss??`). Remote inclusion is a URL whose shape only an include has: an IP-literal host,
 * a trailing `?` that cuts off the application's suffix, a script file; or a UNC share.
 */

export type PathContext = 'path' | 'value' | 'header';

/** System files and secrets, as segment lists; a request for one is a probe whatever the route. */
const SENSITIVE: readonly (readonly string[])[] = [
  'etc/passwd',
  'etc/shadow',
  'etc/group',
  'etc/gshadow',
  'etc/hosts',
  'etc/issue',
  'etc/hostname',
  'etc/crontab',
  'etc/sudoers',
  'etc/master.passwd',
  'etc/resolv.conf',
  'etc/motd',
  'etc/fstab',
  'etc/profile',
  'etc/inittab',
  'etc/security/passwd',
  'etc/ssh/sshd_config',
  'etc/mysql/my.cnf',
  'etc/my.cnf',
  'etc/httpd/conf/httpd.conf',
  'etc/apache2/apache2.conf',
  'etc/nginx/nginx.conf',
  'proc/self/environ',
  'proc/self/cmdline',
  'proc/self/status',
  'proc/self/fd',
  'proc/version',
  'proc/cpuinfo',
  'proc/mounts',
  'var/log/auth.log',
  'var/log/messages',
  '.ssh/id_rsa',
  '.ssh/id_dsa',
  '.ssh/id_ecdsa',
  '.ssh/id_ed25519',
  '.ssh/authorized_keys',
  '.ssh/known_hosts',
  '.bash_history',
  '.zsh_history',
  '.mysql_history',
  '.aws/credentials',
  '.docker/config.json',
  '.kube/config',
  '.git/config',
  '.git/head',
  '.svn/entries',
  '.env',
  '.htpasswd',
  '.htaccess',
  'wp-config.php',
  'web-inf/web.xml',
  'meta-inf/manifest.mf',
  'boot.ini',
  'win.ini',
  'system.ini',
  'windows/system32/drivers/etc/hosts',
  'windows/repair/sam',
  'windows/system32/config/sam',
  'windows/panther/unattend.xml',
  'inetpub/wwwroot/web.config',
  'windows/system32/inetsrv/config/applicationhost.config',
].map((p) => p.split('/'));

/** Directories whose absolute paths never appear in an ordinary parameter value. */
const SYSTEM_ROOT =
  /^(?:file:\/\/)?(?:[a-z]:)?[\\/]+(?:etc|proc|var\/log|root|usr\/local\/etc|sys\/(?:class|kernel)|windows|winnt|inetpub|boot\.ini)(?:[\\/]|$)/i;
const TRAVERSAL = /(?:^|[\\/=:;,])\.{2,4}(?:;[^\\/]*)?[\\/]|(?:^|[\\/])\.\.(?:[\\/]?$)/g;
const NUL_SUFFIX = /\0|%00/;
const MAX_TOKENS = 24;

function traversals(s: string): number {
  TRAVERSAL.lastIndex = 0;
  let n = 0;
  while (n < 8 && TRAVERSAL.exec(s)) n += 1;
  return n;
}

function segmentMatches(input: string, want: string): boolean {
  if (input === want) return true;
  if (!/[?*[]/.test(input) || input.length > 64) return false;
  let pattern = '';
  for (let i = 0; i < input.length; i += 1) {
    const c = input[i]!;
    if (c === '?') pattern += '.';
    else if (c === '*') pattern += '.*';
    else if (c === '[') {
      const close = input.indexOf(']', i + 1);
      if (close < 0) return false;
      pattern += `[${input.slice(i + 1, close).replace(/[\\\]^]/g, '\\$&')}]`;
      i = close;
    } else pattern += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  try {
    return new RegExp(`^${pattern}$`).test(want);
  } catch {
    // A class no shell can match (`[z-a]`, a range out of order) matches nothing; it must never throw.
    return false;
  }
}

/** Last segments of the sensitive files: a path with none of them (and no glob) cannot name one. */
const LAST_SEGMENTS = new Set(SENSITIVE.map((f) => f[f.length - 1]!));

/**
 * Characters of a glob that pin what it names: literals and `?` (one character each); `*` and classes pin nothing.
 * `*\/*` or `x/*` (a media range, a search) match every two-segment path and name no file; `/???/??????` and
 * `/etc/pa*` do.
 */
const MIN_PINNED = 3;
function pins(segments: readonly string[]): number {
  let n = 0;
  for (const seg of segments) n += seg.replace(/\[[^\]]*\]|\*/g, '').length;
  return n;
}

/** Whether the segments contain a sensitive file's segments, consecutively. */
function hasSensitive(segments: readonly string[]): boolean {
  if (!segments.some((seg) => LAST_SEGMENTS.has(seg) || /[?*[]/.test(seg))) return false;
  for (const file of SENSITIVE) {
    for (let i = 0; i + file.length <= segments.length; i += 1) {
      effort.units += 1;
      let ok = true;
      for (let k = 0; ok && k < file.length; k += 1) ok = segmentMatches(segments[i + k]!, file[k]!);
      if (ok && pins(segments.slice(i, i + file.length)) >= MIN_PINNED) return true;
    }
  }
  return false;
}

/** Path-shaped tokens of the text, each split into lower-case segments (NUL and `::$DATA` suffixes dropped). */
function pathTokens(s: string): string[][] {
  const out: string[][] = [];
  for (const token of s.split(/[\s"'`<>|;,()=&]+/).slice(0, MAX_TOKENS)) {
    if (!/[\\/]/.test(token) && !/^\.\w/.test(token) && !/\.(?:ini|env|htaccess|htpasswd)$/i.test(token))
      continue;
    // A URL's query (`/items?page=2`) is not globbing: only the path part can name a file.
    const clean = token
      .replace(/[?#][^?/]*=.*$|#.*$/, '')
      .toLowerCase()
      .replace(/(?:\0|%00).*$/, '')
      .replace(/::\$data$/, '');
    out.push(clean.split(/[\\/]+/).filter((seg) => seg !== '' && seg !== '.'));
  }
  return out;
}

/** Traversal or local file inclusion in this part of the request. */
export function looksLikeTraversal(text: string, context: PathContext): boolean {
  if (!/[./\\]/.test(text)) return false;
  const n = traversals(text);
  if (n > 0 && (context === 'path' || n >= 2 || /^\.{2,4}[\\/;]/.test(text))) return true;
  if (context !== 'path' && SYSTEM_ROOT.test(text.trim())) return true;
  const tokens = pathTokens(text);
  if (tokens.some(hasSensitive)) return true;
  return n > 0 && NUL_SUFFIX.test(text);
}

const URL_VALUE = /^(?:https?|ftps?|smb|webdav|dict|gopher|tftp|ldap):\/\/([^/?#\s]*)([^\s]*)$/i;
const IP_HOST =
  /^(?:[^@]*@)?(?:\d{1,3}(?:\.\d{1,3}){3}|\d{8,10}|0x[0-9a-f]{8}|\[[0-9a-f:.]+\]|[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7})(?::\d+)?$/i;
const SCRIPT_FILE = /\.(?:txt|php\d?|phtml|inc|sh|pl|cgi|asp|aspx|jsp|exe|py|rb|gif\?|jpg\?)(?:\?|%3f|\0|$)/i;
const UNC = /^\\\\[a-z0-9.-]+\\[^\\]+/i;

/** Parameter names of include paths (`_CONF[path]`, `mosConfig_absolute_path`, `include_dir`), not redirects. */
const INCLUDE_NAME = /(?:path|dir|root|include|inc|lib|template|tpl)\]?$/i;

/** Remote file inclusion: the value is a URL only an include would be given (`name`: the parameter's). */
export function looksLikeRemoteInclusion(text: string, name = ''): boolean {
  const value = text.trim();
  if (INCLUDE_NAME.test(name) && /^(?:https?|ftps?):\/\/[^/?#\s]/i.test(value)) return true;
  if (UNC.test(value)) return true;
  const url = URL_VALUE.exec(value);
  if (!url) return false;
  const [, host, rest] = url;
  if (IP_HOST.test(host!)) return true;
  if (/[?]\s*$|\?\0|\0$/.test(rest!)) return true;
  return SCRIPT_FILE.test(rest!) && /\.(?:txt|inc|sh|pl)\b/i.test(rest!);
}
