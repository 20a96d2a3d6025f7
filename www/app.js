/*
 * Copyright (c) 2026 The guardiand authors
 *
 * Permission to use, copy, modify, and distribute this software for any
 * purpose with or without fee is hereby granted, provided that the above
 * copyright notice and this permission notice appear in all copies.
 *
 * THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
 * WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
 * MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
 * ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
 * WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
 * ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
 * OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.
 */

/*
 * The approval page (DESIGN section 6.3).  Request data only ever
 * reaches the DOM through textContent: the page is served under a CSP
 * without inline script, and nothing here builds HTML from strings.
 */

'use strict';

(function () {

const ARM_MS = 1000;		/* Approve is inert this long after a move */
const KEY_LOCK_MS = 500;	/* a / d do nothing right after one */
const HINT_MS = 5000;		/* what a key did not do, shown so long */
const RECENT_MAX = 20;
const DOWN_AFTER_MS = 5000;	/* "reconnecting" becomes "not running" */
const STALE_MS = 45000;		/* no event (heartbeat: 15 s): reconnect */
const RETRY_MAX_MS = 3000;
const LOGIN_POLL_MS = 2000;
const FETCH_TIMEOUT_MS = 5000;
const REASON_MAX = 1024;	/* bytes, as the daemon counts */
const HOUR = 3600;		/* seconds: the page's "for an hour" */
const SCOPE_HOUR = { for: HOUR };
const SCOPE_ALWAYS = { always: true };

const st = {
	csrf: null,
	user: null,
	conn: 'connecting',
	es: null,
	lostAt: 0,
	retry: 0,
	timer: 0,
	lastEvent: 0,
	skew: 0,		/* the daemon's clock minus ours, ms */
	pending: new Map(),	/* id -> card record */
	order: [],		/* ids, in display order */
	recent: [],		/* decisions, newest first */
	selected: null,
	selectedAt: 0,		/* when the choice last changed */
	selectTimer: 0,
	keyLock: 0,
	hintTimer: 0,
	confirm: null,		/* the card whose confirmation is open */
	confirmAt: 0,		/* its Run button acts from then */
	confirmTimer: 0,
	confirmScope: null,	/* what its Run button approves for */
	grants: new Map(),	/* id -> grant, as the daemon lists it */
	notify: false,
	notes: new Map(),	/* id -> Notification */
};

const $ = (id) => document.getElementById(id);

function el(tag, cls, text) {
	const e = document.createElement(tag);
	if (cls)
		e.className = cls;
	if (text !== undefined)
		e.textContent = text;
	return (e);
}

function now() {
	return (Date.now() + st.skew);
}

/*
 * The canonical command string (DESIGN section 4), split back into
 * words.  Each word keeps the exact source text of its segments (bare,
 * '…', \x, $'…') and its decoded value, with a map from every value
 * character back to the source range it came from, so findings about
 * values can be highlighted in the text as shown.
 */
function lexCanon(s) {
	const words = [];
	const n = s.length;
	let i = 0;

	while (i < n) {
		while (i < n && s[i] === ' ')
			i++;
		if (i >= n)
			break;
		const w = { start: i, end: i, value: '', src0: [], src1: [],
		    segs: [] };
		const put = (ch, a, b) => {
			w.value += ch;
			for (let k = 0; k < ch.length; k++) {
				w.src0.push(a);
				w.src1.push(b);
			}
		};
		while (i < n && s[i] !== ' ') {
			if (s[i] === '\'') {
				let j = s.indexOf('\'', i + 1);
				if (j < 0)
					j = n;
				for (let k = i + 1; k < j; k++)
					put(s[k], k, k + 1);
				const end = Math.min(j + 1, n);
				w.segs.push({ kind: 'sq', a: i, b: end });
				i = end;
			} else if (s[i] === '$' && s[i + 1] === '\'') {
				const seg = { kind: 'ansi', a: i, b: n,
				    escapes: [] };
				let j = i + 2;
				while (j < n && s[j] !== '\'') {
					if (s[j] !== '\\' || j + 1 >= n) {
						put(s[j], j, j + 1);
						j++;
						continue;
					}
					const e = ansiEscape(s, j);
					put(e.ch, j, j + e.len);
					seg.escapes.push({ a: j, b: j + e.len,
					    what: e.what });
					j += e.len;
				}
				seg.b = Math.min(j + 1, n);
				w.segs.push(seg);
				i = seg.b;
			} else if (s[i] === '\\' && i + 1 < n) {
				put(s[i + 1], i, i + 2);
				w.segs.push({ kind: 'esc', a: i, b: i + 2 });
				i += 2;
			} else {
				let j = i + 1;
				while (j < n && s[j] !== ' ' && s[j] !== '\'' &&
				    s[j] !== '\\' &&
				    !(s[j] === '$' && s[j + 1] === '\''))
					j++;
				for (let k = i; k < j; k++)
					put(s[k], k, k + 1);
				w.segs.push({ kind: 'bare', a: i, b: j });
				i = j;
			}
		}
		w.end = i;
		words.push(w);
	}
	return (words);
}

/* Names of the best-known hidden characters; the rest are Unicode
 * format characters (general category Cf), separators or tags. */
const INVISIBLE = {
	0x00ad: 'soft hyphen', 0x061c: 'Arabic letter mark',
	0x115f: 'Hangul filler', 0x1160: 'Hangul filler',
	0x180e: 'Mongolian vowel separator',
	0x200b: 'zero-width space', 0x200c: 'zero-width non-joiner',
	0x200d: 'zero-width joiner', 0x200e: 'left-to-right mark',
	0x200f: 'right-to-left mark', 0x2028: 'line separator',
	0x2029: 'paragraph separator', 0x202a: 'left-to-right embedding',
	0x202b: 'right-to-left embedding',
	0x202c: 'pop directional formatting',
	0x202d: 'left-to-right override', 0x202e: 'right-to-left override',
	0x2060: 'word joiner', 0x2061: 'invisible function application',
	0x2062: 'invisible times', 0x2063: 'invisible separator',
	0x2064: 'invisible plus',
	0x2066: 'left-to-right isolate', 0x2067: 'right-to-left isolate',
	0x2068: 'first strong isolate', 0x2069: 'pop directional isolate',
	0x3164: 'Hangul filler', 0xfeff: 'zero-width no-break space',
	0xffa0: 'Hangul filler',
};

/* The name of hidden character v, as \u or \U escapes write them. */
function invisibleName(v) {
	if (INVISIBLE[v])
		return (INVISIBLE[v]);
	if (v >= 0x80 && v <= 0x9f)
		return ('control character');
	if (v >= 0xe0000 && v <= 0xe007f)
		return ('tag character (invisible)');
	return ('invisible character');
}

const CONTROL = {
	0x00: 'NUL', 0x07: 'bell', 0x08: 'backspace', 0x0b: 'vertical tab',
	0x0c: 'form feed', 0x0d: 'carriage return',
	0x1b: 'escape (terminal control)', 0x7f: 'delete',
};

/* One backslash escape of $'…' at s[j]: its value, length, meaning. */
function ansiEscape(s, j) {
	const c = s[j + 1];
	const hex = (len) => {
		const h = s.slice(j + 2, j + 2 + len);
		return (h.length === len && /^[0-9a-fA-F]+$/.test(h) ?
		    parseInt(h, 16) : -1);
	};
	let v;

	switch (c) {
	case 'n':
		return ({ ch: '\n', len: 2, what: 'newline' });
	case 't':
		return ({ ch: '\t', len: 2, what: 'tab' });
	case '\\':
		return ({ ch: '\\', len: 2, what: null });
	case '\'':
		return ({ ch: '\'', len: 2, what: null });
	case 'x':
		if ((v = hex(2)) < 0)
			break;
		return ({ ch: String.fromCharCode(v), len: 4,
		    what: v >= 0x80 ? 'byte that is not UTF-8' :
		    (CONTROL[v] || 'control character') });
	case 'u':
		if ((v = hex(4)) < 0)
			break;
		return ({ ch: String.fromCharCode(v), len: 6,
		    what: invisibleName(v) });
	case 'U':
		if ((v = hex(8)) < 0 || v > 0x10ffff)
			break;
		return ({ ch: String.fromCodePoint(v), len: 10,
		    what: invisibleName(v) });
	}
	return ({ ch: c, len: 2, what: 'escape' });
}

/*
 * What deserves a second look.  Each finding marks a range of the
 * canonical text with a class and an explanation, and is listed in
 * plain words under the command.
 */
const SHELLS = new Set(['sh', 'bash', 'dash', 'zsh', 'ksh', 'mksh',
    'ash', 'fish', 'csh', 'tcsh', 'rbash', 'yash', 'posh']);
const INTERPRETERS = { python: '-c', python3: '-c', python2: '-c',
    perl: '-e', ruby: '-e', node: '-e', nodejs: '-e', php: '-r',
    lua: '-e', osascript: '-e' };
const NETWORK = new Set(['curl', 'wget', 'ssh', 'scp', 'sftp', 'nc',
    'ncat', 'netcat', 'socat', 'telnet', 'ftp', 'rsync', 'rclone',
    'aria2c', 'httpie', 'http', 'https', 'xh', 'lftp', 'tftp', 'mosh']);
const PRIVILEGE = new Set(['sudo', 'doas', 'su', 'pkexec', 'run0']);
const WRAPPERS = new Set(['env', 'nice', 'nohup', 'time', 'timeout',
    'exec', 'command', 'builtin', 'stdbuf', 'ionice', 'xargs',
    'setsid', 'chronic', 'unbuffer', 'caffeinate']);
const RECURSIVE_CH = new Set(['chmod', 'chown', 'chgrp', 'chattr']);
/*
 * Reserved words of the shell that come before a command (if curl …;
 * then sudo …; fi): the program is the word after them.
 */
const KEYWORDS = new Set(['!', '{', '}', 'if', 'then', 'else', 'elif',
    'fi', 'do', 'done', 'while', 'until', 'esac', 'coproc']);
/* Reserved words whose words up to the next operator run nothing. */
const NOT_COMMANDS = new Set(['for', 'select', 'case', 'function']);
/*
 * What makes a command high-risk: approving it takes a second,
 * deliberate step.  These are the red marks.
 */
const HIGH = new Set(['hl-priv', 'hl-destroy', 'hl-path', 'hl-escape',
    'hl-fetchrun', 'hl-exe']);
const SAFE_PATHS = new Set(['/dev/null', '/dev/stdin', '/dev/stdout',
    '/dev/stderr', '/dev/tty', '/dev/zero']);
const MAX_DEPTH = 4;

function basename(p) {
	const i = p.lastIndexOf('/');
	return (i >= 0 ? p.slice(i + 1) : p);
}

/* A normalised absolute path, or null. */
function normPath(p) {
	const out = [];

	for (const part of p.split('/')) {
		if (part === '' || part === '.')
			continue;
		if (part === '..')
			out.pop();
		else
			out.push(part);
	}
	return ('/' + out.join('/'));
}

function outsideTree(path, cwd) {
	let abs;

	if (path.startsWith('~'))
		return (true);
	if (path.startsWith('/'))
		abs = normPath(path);
	else if (/(^|\/)\.\.(\/|$)/.test(path) && cwd)
		abs = normPath(cwd + '/' + path);
	else
		return (false);
	if (SAFE_PATHS.has(abs))
		return (false);
	if (!cwd)
		return (true);
	const root = normPath(cwd);
	return (!(abs === root || abs.startsWith(root === '/' ? '/' :
	    root + '/')));
}

/* Path-like parts of one argument: the value, or after = : or ,. */
function pathCandidates(v) {
	const out = [];

	if (/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(v))
		return (out);		/* a URL */
	const re = /(^|[=:,])(~[^=:,\s]*|\/[^=:,\s]*|\.\.(?:\/[^=:,\s]*)?)/g;
	let m;
	while ((m = re.exec(v)) !== null) {
		const a = m.index + m[1].length;
		out.push({ a: a, b: a + m[2].length, path: m[2] });
		if (m[0].length === 0)
			re.lastIndex++;
	}
	return (out);
}

function analyse(words, cwd, flags) {
	const marks = [];
	const findings = new Map();	/* text -> class */
	const find = (cls, text) => {
		if (!findings.has(text))
			findings.set(text, cls);
	};

	/*
	 * The program the daemon resolved lies in the worktree: the agent
	 * wrote it, or can rewrite it, so whatever its name says, it runs
	 * the agent's code.
	 */
	if ((flags || []).includes('worktree'))
		find('hl-exe', 'the program is inside the worktree: the ' +
		    'agent can change it');

	/* $'…': what the escapes hide. */
	const hidden = new Set();
	for (const w of words) {
		for (const seg of w.segs) {
			if (seg.kind !== 'ansi')
				continue;
			const whats = seg.escapes.map((e) => e.what)
			    .filter((x) => x);
			marks.push({ a: seg.a, b: seg.b, cls: 'hl-escape',
			    why: 'written with $\'…\' escapes: contains ' +
			    (whats.length ? uniq(whats).join(', ') :
			    'characters that cannot be shown as they are') });
			/* A run of the same escape is one mark, not
			 * thousands of them. */
			let run = null;
			for (const e of seg.escapes) {
				if (!e.what) {
					run = null;
					continue;
				}
				if (run && run.b === e.a && run.why === e.what) {
					run.b = e.b;
					continue;
				}
				run = { a: e.a, b: e.b, cls: 'hl-escape-ch',
				    why: e.what };
				marks.push(run);
				hidden.add(e.what);
			}
			if (!whats.length)
				hidden.add('special characters');
		}
	}
	if (hidden.size)
		find('hl-escape', 'hidden or control characters, shown ' +
		    'as $\'…\' escapes: ' + Array.from(hidden).join(', '));

	const top = words.map((w) => ({
		value: w.value,
		mark: (a, b, cls, why) => {
			if (b <= a || a >= w.src0.length)
				return;
			marks.push({ a: w.src0[a],
			    b: w.src1[Math.min(b, w.src1.length) - 1],
			    cls: cls, why: why });
		},
	}));
	analyseCommand(top, cwd, 0, find, false);
	const high = [];
	for (const [text, cls] of findings)
		if (HIGH.has(cls))
			high.push(text);
	return ({ marks: marks, findings: findings, high: high });
}

function uniq(a) {
	return (Array.from(new Set(a)));
}

function markAll(w, cls, why) {
	w.mark(0, w.value.length, cls, why);
}

/*
 * One simple command: words with value and mark(a, b, cls, why);
 * inScript: it comes from a shell script, where reserved words may
 * stand before the program.  Returns what the program is, for the
 * pipeline it may be part of: { name, net, shell }, or null.
 */
function analyseCommand(words, cwd, depth, find, inScript) {
	let i = 0;

	while (i < words.length) {
		/* VAR=value prefixes */
		while (i < words.length &&
		    /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[i].value)) {
			checkPaths(words[i], cwd, find);
			i++;
		}
		if (i >= words.length)
			return (null);
		if (inScript && KEYWORDS.has(words[i].value)) {
			i++;
			continue;
		}
		if (inScript && NOT_COMMANDS.has(words[i].value)) {
			for (const w of words.slice(i + 1))
				checkPaths(w, cwd, find);
			return (null);
		}
		const name = basename(words[i].value);
		if (PRIVILEGE.has(name)) {
			markAll(words[i], 'hl-priv', name + ': runs with ' +
			    'another user\'s rights, usually root');
			find('hl-priv', name + ': runs as root (or another ' +
			    'user)');
			i = skipOptions(words, i + 1, name === 'sudo' ?
			    /^-[^-]*[ugCDhpRrTt]$/ : /^-[^-]*[u]$/);
			continue;
		}
		if (WRAPPERS.has(name)) {
			i = skipOptions(words, i + 1,
			    /^-[^-]*[uSCnNkstoeEicILP]$/);
			if (name === 'timeout' && i < words.length &&
			    /^[0-9.]+[smhd]?$/.test(words[i].value))
				i++;
			continue;
		}
		break;
	}
	if (i >= words.length)
		return (null);

	const w0 = words[i];
	let name = basename(w0.value);
	let args = words.slice(i + 1);
	let code = null;		/* a script argument: not a path */

	if (name === 'busybox' && args.length &&
	    SHELLS.has(args[0].value)) {
		name = args[0].value;
		args = args.slice(1);
	}
	if (SHELLS.has(name)) {
		code = shellCommand(w0, name, args, cwd, depth, find);
	} else if (Object.prototype.hasOwnProperty.call(INTERPRETERS, name)) {
		const flag = INTERPRETERS[name];
		const k = args.findIndex((a) => a.value === flag);
		if (k >= 0) {
			const why = name + ' ' + flag + ': runs the code ' +
			    'given on the command line';
			markAll(w0, 'hl-shell', why);
			markAll(args[k], 'hl-shell', why);
			if (k + 1 < args.length) {
				code = args[k + 1];
				markAll(code, 'hl-script', 'inline ' +
				    name + ' code: it can do anything');
			}
			find('hl-shell', name + ' ' + flag + ': runs inline ' +
			    'code that can do anything');
		}
	}
	if (NETWORK.has(name)) {
		markAll(w0, 'hl-net', name + ': talks to the network; can ' +
		    'send data off this machine');
		find('hl-net', 'network tool: ' + name);
	}
	if (name === 'rm' && args.some((a) => a.value === '--recursive' ||
	    /^-[a-zA-Z]*[rR]/.test(a.value))) {
		markAll(w0, 'hl-destroy', 'rm: deletes files');
		for (const a of args)
			if (a.value === '--recursive' ||
			    /^-[a-zA-Z]*[rR]/.test(a.value))
				markAll(a, 'hl-destroy', 'recursive: deletes ' +
				    'whole directory trees');
		find('hl-destroy', 'recursive delete (rm -r)');
	}
	if (RECURSIVE_CH.has(name) && args.some((a) =>
	    a.value === '--recursive' || /^-[a-zA-Z]*R/.test(a.value))) {
		markAll(w0, 'hl-destroy', name + ': changes permissions or ' +
		    'owners');
		for (const a of args)
			if (a.value === '--recursive' ||
			    /^-[a-zA-Z]*R/.test(a.value))
				markAll(a, 'hl-destroy', 'recursive: the ' +
				    'whole directory tree');
		find('hl-destroy', 'recursive ' + name);
	}
	for (const a of args)
		if (a !== code)
			checkPaths(a, cwd, find);
	return ({ word: w0, name: name, net: NETWORK.has(name),
	    shell: SHELLS.has(name) || Object.prototype.hasOwnProperty
	    .call(INTERPRETERS, name) });
}

/* Past a command's options; those matching takesArg eat the next word. */
function skipOptions(words, i, takesArg) {
	while (i < words.length) {
		const v = words[i].value;
		if (v === '--')
			return (i + 1);
		if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(v)) {
			i++;		/* env NAME=value */
			continue;
		}
		if (!v.startsWith('-') || v === '-')
			return (i);
		i += takesArg.test(v) ? 2 : 1;
	}
	return (i);
}

function checkPaths(w, cwd, find) {
	for (const c of pathCandidates(w.value)) {
		if (!outsideTree(c.path, cwd))
			continue;
		w.mark(c.a, c.b, 'hl-path', 'outside the worktree (' +
		    (cwd || '?') + ')');
		find('hl-path', 'path outside the worktree: ' + c.path);
	}
}

function shellCommand(w0, name, args, cwd, depth, find) {
	let k, script = -1;

	for (k = 0; k < args.length; k++) {
		const v = args[k].value;
		if (v === '--' || !/^[-+]/.test(v))
			break;
		if (/^-[a-zA-Z]*c[a-zA-Z]*$/.test(v)) {
			script = k;
			break;
		}
		if (/^[-+][oO]$/.test(v))
			k++;
	}
	if (script < 0)
		return (null);
	const flag = args[script];
	/* The script: the first operand after the options. */
	for (k = script + 1; k < args.length; k++) {
		const v = args[k].value;
		if (/^[-+][oO]$/.test(v)) {
			k++;
			continue;
		}
		if (v === '--') {
			k++;
			break;
		}
		if (!/^[-+]./.test(v))
			break;
	}
	const why = name + ' -c: runs a shell script; anything in it runs';
	markAll(w0, 'hl-shell', why);
	flag.mark(0, flag.value.length, 'hl-shell', why);
	find('hl-shell', 'runs a shell script (' + name + ' -c): ' +
	    'anything in it runs');
	if (k >= args.length)
		return (null);
	markAll(args[k], 'hl-script', 'the shell script');
	if (depth < MAX_DEPTH)
		analyseScript(args[k], cwd, depth + 1, find);
	return (args[k]);
}

/*
 * A shell script, read loosely: operators are marked (pipes,
 * redirections, command lists, substitutions) and the commands between
 * them analysed like argv.  It is not a shell parser; it only has to
 * point at what a human should read twice.
 */
const WHY_SUBST = 'command substitution: runs another command';
const OPS = [
	['|&', 'pipe', 'pipe: output and errors feed the next command'],
	['||', 'list', 'runs the next command if this one fails'],
	['&&', 'list', 'runs the next command if this one succeeds'],
	['>>', 'redir', 'redirection: appends to a file'],
	['&>', 'redir', 'redirection: writes output to a file'],
	['>&', 'redir', 'redirection'],
	['>|', 'redir', 'redirection: overwrites a file'],
	['<<', 'redir', 'here-document: input from the script'],
	['<(', 'subst', 'process substitution: runs another command'],
	['>(', 'subst', 'process substitution: runs another command'],
	['$(', 'subst', WHY_SUBST],
	[';;', 'list', 'case terminator'],
	['|', 'pipe', 'pipe: the output feeds the next command'],
	['>', 'redir', 'redirection: writes (overwrites) a file'],
	['<', 'redir', 'redirection: reads a file'],
	[';', 'list', 'runs several commands'],
	['&', 'list', 'runs a command in the background'],
	['\n', 'list', 'runs several commands (newline)'],
	['`', 'subst', WHY_SUBST],
	['(', 'list', 'subshell'],
	[')', 'list', 'end of a subshell or substitution'],
];

function analyseScript(sw, cwd, depth, find) {
	const s = sw.value;
	const n = s.length;
	let cmd = [], word = null, redirect = false, i = 0;
	let pipes = false, redirs = false;
	/* The pipeline so far: fed by a pipe, a download upstream. */
	let piped = false, fetched = null;

	const endWord = () => {
		if (!word)
			return;
		const w = word;
		const sub = {
			value: w.value,
			mark: (a, b, cls, why) => {
				if (b <= a || a >= w.map.length)
					return;
				sw.mark(w.map[a], w.map[Math.min(b,
				    w.map.length) - 1] + 1, cls, why);
			},
		};
		if (redirect) {
			checkPaths(sub, cwd, find);
			redirect = false;
		} else
			cmd.push(sub);
		word = null;
	};
	/* kind: what ends it, an operator's kind or 'end'. */
	const endCmd = (kind) => {
		endWord();
		if (cmd.length) {
			const c = analyseCommand(cmd, cwd, depth, find, true);
			if (c && c.shell && piped && fetched) {
				const why = 'runs what ' + fetched + ' downloads: ' +
				    'code from the network, unseen';
				markAll(c.word, 'hl-fetchrun', why);
				find('hl-fetchrun', 'a download piped into a ' +
				    'shell (' + fetched + ' … | ' + c.name + ')');
			}
			if (c && c.net && !fetched)
				fetched = c.name;
		}
		cmd = [];
		if (kind === 'pipe')
			piped = true;
		else if (kind !== 'redir') {
			piped = false;
			fetched = null;
		}
	};
	const add = (ch, at) => {
		if (!word)
			word = { value: '', map: [] };
		word.value += ch;
		word.map.push(at);
	};
	/* A "…" string from s[j]: where its closing quote is. */
	const dquoted = (j) => {
		if (!word)
			word = { value: '', map: [] };
		while (j < n && s[j] !== '"') {
			const bt = s[j] === '`';
			if (s[j] === '\\' && j + 1 < n) {
				add(s[j + 1], j + 1);
				j += 2;
				continue;
			}
			if (!bt && !(s[j] === '$' && s[j + 1] === '(')) {
				add(s[j], j);
				j++;
				continue;
			}
			/* Substitutions run, quoted or not. */
			const a = j + (bt ? 1 : 2);
			const b = substEnd(s, a, bt);
			sw.mark(j, a, 'hl-op', WHY_SUBST);
			if (b < n)
				sw.mark(b, b + 1, 'hl-op', WHY_SUBST);
			if (depth < MAX_DEPTH)
				analyseScript(slice(sw, a, b), cwd, depth + 1,
				    find);
			for (let k = j; k < Math.min(b + 1, n); k++)
				add(s[k], k);
			j = b + 1;
		}
		return (j);
	};

	while (i < n) {
		const c = s[i];
		if (c === ' ' || c === '\t') {
			endWord();
			i++;
			continue;
		}
		if (c === '#' && !word &&
		    (i === 0 || /[\s;&|(]/.test(s[i - 1]))) {
			while (i < n && s[i] !== '\n')
				i++;
			continue;
		}
		if (c === '\\' && i + 1 < n) {
			add(s[i + 1], i + 1);
			i += 2;
			continue;
		}
		if (c === '\'') {
			let j = s.indexOf('\'', i + 1);
			if (j < 0)
				j = n;
			if (!word)
				word = { value: '', map: [] };
			for (let k = i + 1; k < j; k++)
				add(s[k], k);
			i = j + 1;
			continue;
		}
		if (c === '"') {
			i = dquoted(i + 1) + 1;
			continue;
		}
		const op = OPS.find((o) => s.startsWith(o[0], i));
		if (!op) {
			add(c, i);
			i++;
			continue;
		}
		/* 2>file, 2>&1: the descriptor number is part of it. */
		if (op[1] === 'redir' && word && /^[0-9]+$/.test(word.value)) {
			sw.mark(word.map[0], i, 'hl-op', op[2]);
			word = null;
		} else
			endWord();
		let end = i + op[0].length;
		if (op[0] === '>&' || s.startsWith('<&', i))
			while (end < n && /[0-9-]/.test(s[end]))
				end++;		/* 2>&1, <&- */
		sw.mark(i, end, 'hl-op', op[2]);
		if (op[1] === 'pipe')
			pipes = true;
		if (op[1] === 'redir') {
			redirs = true;
			endCmd('redir');
			redirect = !s.startsWith('&', i + op[0].length) &&
			    op[0] !== '>&' && op[0] !== '<<';
		} else
			endCmd(op[1]);
		i = end;
	}
	endCmd('end');
	if (pipes)
		find('hl-op', 'pipe inside the shell script');
	if (redirs)
		find('hl-op', 'redirection inside the shell script (reads ' +
		    'or writes files)');
}

/* Where a substitution opened before s[a] ends (its ) or `), or n. */
function substEnd(s, a, backtick) {
	let depth = 0, q = null;

	for (let j = a; j < s.length; j++) {
		const c = s[j];
		if (c === '\\') {
			j++;
		} else if (q) {
			if (c === q)
				q = null;
		} else if (backtick) {
			if (c === '`')
				return (j);
		} else if (c === '\'' || c === '"') {
			q = c;
		} else if (c === '(') {
			depth++;
		} else if (c === ')') {
			if (depth-- === 0)
				return (j);
		}
	}
	return (s.length);
}

/* Part of a script word, as a word of its own. */
function slice(w, a, b) {
	return ({
		value: w.value.slice(a, b),
		mark: (x, y, cls, why) => w.mark(a + x, a + y, cls, why),
	});
}

/* The canonical text cut where marks begin and end, with their classes. */
function pieces(cmd, marks) {
	const n = cmd.length;
	const clamp = (x) => Math.max(0, Math.min(n, x));
	const ev = [];
	const out = [];
	const on = new Set();

	/*
	 * A sweep over where marks start and end, keeping the marks
	 * that are on: linear in the command and the marks, however
	 * many there are (a quadratic version froze the page on one
	 * long argument of control characters).
	 */
	marks.forEach((m, i) => {
		const a = clamp(m.a), b = clamp(m.b);
		if (a < b) {
			ev.push({ at: a, i: i, on: true });
			ev.push({ at: b, i: i, on: false });
		}
	});
	ev.sort((x, y) => x.at - y.at);
	let pos = 0, k = 0;
	while (pos < n) {
		while (k < ev.length && ev[k].at === pos) {
			if (ev[k].on)
				on.add(ev[k].i);
			else
				on.delete(ev[k].i);
			k++;
		}
		const next = k < ev.length ? ev[k].at : n;
		const cur = Array.from(on).sort((x, y) => x - y)
		    .map((i) => marks[i]);
		out.push({ text: cmd.slice(pos, next),
		    cls: uniq(cur.map((m) => m.cls)),
		    why: uniq(cur.map((m) => m.why)) });
		pos = next;
	}
	return (out);
}

/*
 * As DOM nodes: text, marked parts in spans that explain themselves.
 * Each run of characters between spaces is a span.w of its own, which
 * the style sheet keeps in one piece, so that lines break at the
 * spaces only (never inside --build-arg), unless one word alone is
 * wider than the line.  A word longer than any line can be (the page
 * is at most 60rem wide) is span.w.long, plain text that wraps
 * anywhere: sizing a huge word as a block first costs the browser
 * dearly.
 */
const WORD_LONG = 160;

function renderCommand(code, cmd, marks) {
	const re = new RegExp('[^ ]{' + (WORD_LONG + 1) + ',}', 'g');
	const long = new Set();
	let word = null, at = 0;

	for (const m of cmd.matchAll(re))
		long.add(m.index);
	code.textContent = '';
	for (const p of pieces(cmd, marks)) {
		for (const t of p.text.split(/( +)/)) {
			if (t === '')
				continue;
			let node;
			if (p.cls.length) {
				node = el('span', p.cls.join(' '), t);
				node.title = p.why.join('\n');
			} else
				node = document.createTextNode(t);
			if (t[0] === ' ')
				word = null;
			else if (!word)
				word = el('span', long.has(at) ? 'w long' : 'w');
			(word || code).appendChild(node);
			if (word && !word.parentNode)
				code.appendChild(word);
			at += t.length;
		}
	}
}

/* Time and duration text. */

function two(n) {
	return (n < 10 ? '0' + n : String(n));
}

function ago(ms) {
	const s = Math.max(0, Math.floor(ms / 1000));
	if (s < 60)
		return (s + ' s');
	if (s < 3600)
		return (Math.floor(s / 60) + ' min ' + two(s % 60) + ' s');
	return (Math.floor(s / 3600) + ' h ' + two(Math.floor(s / 60) % 60) +
	    ' min');
}

function clock(ms) {
	const s = Math.max(0, Math.ceil(ms / 1000));
	if (s >= 3600)
		return (Math.floor(s / 3600) + ':' +
		    two(Math.floor(s / 60) % 60) + ':' + two(s % 60));
	return (Math.floor(s / 60) + ':' + two(s % 60));
}

function duration(ms) {
	if (ms < 1000)
		return (ms + ' ms');
	if (ms < 60000)
		return ((ms / 1000).toFixed(ms < 10000 ? 1 : 0) + ' s');
	return (ago(ms));
}

function parseTime(t) {
	const v = Date.parse(t);
	return (Number.isFinite(v) ? v : Date.now());
}

/* The pending requests. */

/* One line of the card's facts: a label and its value (nodes). */
function fact(dl, label, cls, ...nodes) {
	const dd = el('dd', cls);
	dl.appendChild(el('dt', null, label));
	for (const n of nodes)
		dd.appendChild(typeof n === 'string' ?
		    document.createTextNode(n) : n);
	dl.appendChild(dd);
	return (dd);
}

/*
 * Why it asks: the manual_approve pattern that matched and where it is
 * written, or the default.
 */
function whyNodes(req) {
	const r = req.rule;

	if (r && typeof r.pattern === 'string') {
		const out = [(r.kind || 'manual_approve') + ' pattern ',
		    el('code', 'rule-pattern', r.pattern)];
		if (r.file)
			out.push(' at ', el('code', 'rule-place', r.file + ':' +
			    r.line));
		return (out);
	}
	if (typeof req.why === 'string' && req.why)
		return ([req.why]);
	return (['(not reported by this guardiand)']);
}

function addCard(req, fresh) {
	if (st.pending.has(req.id))
		return;
	const tpl = $('card-tpl').content.firstElementChild;
	const li = tpl.cloneNode(true);
	const q = (c) => li.querySelector('.' + c);
	const rec = {
		req: req,
		li: li,
		added: parseTime(req.timestamp),
		expires: parseTime(req.expires),
		armedAt: 0,
		armTimer: 0,
		visible: true,
		pos: null,
		high: [],
		busy: false,
		decided: false,		/* by this page, in flight or done */
		gone: false,
		approve: q('approve'),
		approveHour: q('approve-hour'),
		approveAlways: q('approve-always'),
		deny: q('deny'),
		denyHour: q('deny-hour'),
		reason: q('reason'),
		status: q('card-status'),
		waited: q('waited'),
		left: q('expires'),
		ttl: q('ttl'),
		cmd: q('cmd'),
	};

	li.dataset.id = req.id;
	q('cloister').textContent = req.cloister;
	q('project').textContent = req.project || '(none)';

	const words = lexCanon(req.cmd);
	const res = analyse(words, req.cwd, req.program_flags);
	renderCommand(q('cmd-text'), req.cmd, res.marks);
	const ul = q('findings');
	for (const [text, cls] of res.findings) {
		const f = ul.appendChild(el('li', 'finding ' + cls, text));
		if (HIGH.has(cls))
			f.classList.add('high');
	}
	if (res.findings.size) {
		li.classList.add('risky');
		q('asks').textContent = 'wants to run on this machine ' +
		    '(highlighted parts deserve a second look):';
	} else
		ul.remove();
	rec.high = res.high;
	if (rec.high.length) {
		li.classList.add('high-risk');
		q('risk-note').hidden = false;
		rec.approve.textContent = 'Approve once…';
		rec.approveHour.textContent = 'Approve for an hour…';
		/* A high-risk command is never approved for good. */
		rec.approveAlways.remove();
		rec.approveAlways = null;
	}

	/*
	 * The whole truth: why it asks, the program that would run (the
	 * file the daemon pinned, and what it knows of it), where it runs,
	 * who asks, and the id that hostexec and guardianctl print.
	 */
	const dl = q('facts');
	fact(dl, 'Why', 'why', ...whyNodes(req));
	fact(dl, 'Program', 'program', el('code', 'program-path',
	    req.program || '(none found)'), ...(req.program_note ?
	    [el('div', 'program-note', req.program_note)] : []));
	fact(dl, 'Folder', null, el('code', 'cwd', req.cwd ||
	    '(the cloister\'s worktree)'));
	fact(dl, 'Request', null, el('code', 'reqid', req.id));

	const who = st.user ? 'as ' + st.user : 'as you';
	rec.approve.title = (rec.high.length ? 'High risk: asks you to ' +
	    'confirm, then runs this command, ' : 'Run this command now, ') +
	    who + ', in ' + (req.cwd || 'the worktree') + '; its output ' +
	    'goes to the agent';
	rec.deny.title = 'Refuse: the command does not run; the agent is ' +
	    'told the reason';
	rec.approveHour.title = 'Run it now, and for an hour run exactly ' +
	    'this command from ' + req.cloister + ' in this folder without ' +
	    'asking (revocable below)';
	if (rec.approveAlways)
		rec.approveAlways.title = 'Run it now, and add a rule to the ' +
		    'project\'s file (projects/' + (req.project || '…') +
		    '.yaml) that always approves exactly this command';
	rec.denyHour.title = 'Refuse it, and for an hour refuse exactly ' +
	    'this command from ' + req.cloister + ' in this folder without ' +
	    'asking (revocable below)';

	rec.approve.addEventListener('click', () => decide(rec, true));
	rec.approveHour.addEventListener('click',
	    () => decide(rec, true, SCOPE_HOUR));
	if (rec.approveAlways)
		rec.approveAlways.addEventListener('click',
		    () => decide(rec, true, SCOPE_ALWAYS));
	rec.deny.addEventListener('click', () => decide(rec, false));
	rec.denyHour.addEventListener('click',
	    () => decide(rec, false, SCOPE_HOUR));
	rec.reason.addEventListener('keydown', (ev) => {
		if (ev.key === 'Enter') {
			ev.preventDefault();
			decide(rec, false);
		} else if (ev.key === 'Escape') {
			rec.reason.blur();
			li.focus();
		}
	});
	li.addEventListener('click', (ev) => {
		if (!ev.target.closest('button, input'))
			select(req.id, false);
	});
	li.addEventListener('focusin', () => select(req.id, false));

	st.pending.set(req.id, rec);
	st.order.push(req.id);
	$('pending').appendChild(li);
	updateCount();
	/*
	 * Its place is first taken when the ResizeObserver sees it: no
	 * layout forced here, for each of many cards.  It is arming
	 * until then anyway.
	 */
	arm(rec);
	watchCard(rec);
	if (fresh)
		li.classList.add('fresh');
	tickCard(rec, Date.now());
	return (rec);
}

/*
 * A decision applies only to a card that has been visible and in the
 * same place for ARM_MS: Approve and Deny are inert for a moment after
 * a card appears, moves (a card above it went away), or comes back
 * into view, so that a click meant for something else cannot land on
 * it.
 */
function arm(rec) {
	clearTimeout(rec.armTimer);
	rec.approve.classList.remove('arming');
	if (!rec.visible) {
		rec.armedAt = Infinity;
		updateButtons(rec);
		showSelection();
		return;
	}
	rec.armedAt = performance.now() + ARM_MS;
	void rec.approve.offsetWidth;	/* restart the animation */
	rec.approve.classList.add('arming');
	updateButtons(rec);
	showSelection();
	rec.armTimer = setTimeout(() => {
		rec.approve.classList.remove('arming');
		updateButtons(rec);
		showSelection();
	}, ARM_MS);
}

function armed(rec) {
	return (performance.now() >= rec.armedAt);
}

/*
 * Where a card is laid out on the page: not in the window (scrolling
 * is the human's own doing), and without the transforms of its
 * animations.
 */
function cardPos(rec) {
	let x = 0, y = 0;

	for (let e = rec.li; e; e = e.offsetParent) {
		x += e.offsetLeft;
		y += e.offsetTop;
	}
	return (x + ',' + y);
}

/*
 * Cards that moved are armed again.  Called at once wherever the page
 * itself changes the layout (a click dispatched before the next frame
 * is hit-tested against the new one), and by a ResizeObserver for the
 * rest.
 */
function checkMoves() {
	for (const rec of st.pending.values()) {
		const p = cardPos(rec);
		if (rec.pos !== null && p !== rec.pos)
			arm(rec);
		rec.pos = p;
	}
}

let seen = null, resized = null;

/* Visible: some of its command is in the window, the tab shown. */
function watchCard(rec) {
	if (!seen && 'IntersectionObserver' in window)
		seen = new IntersectionObserver((entries) => {
			for (const e of entries) {
				const id = e.target.closest('.card').dataset.id;
				const r = st.pending.get(id);
				if (!r || r.visible === e.isIntersecting)
					continue;
				r.visible = e.isIntersecting;
				arm(r);
			}
		});
	if (!resized && 'ResizeObserver' in window) {
		resized = new ResizeObserver(() => checkMoves());
		resized.observe(document.body);
	}
	if (seen)
		seen.observe(rec.cmd);
	if (resized)
		resized.observe(rec.li);
}

function unwatchCard(rec) {
	if (seen)
		seen.unobserve(rec.cmd);
	if (resized)
		resized.unobserve(rec.li);
}

function updateButtons(rec) {
	const live = st.conn === 'connected' && !rec.busy && !rec.gone &&
	    rec.expires > now();
	for (const b of [rec.approve, rec.approveHour, rec.approveAlways,
	    rec.deny, rec.denyHour])
		if (b)
			b.disabled = !live || !armed(rec);
	rec.reason.disabled = rec.gone || rec.busy;
	if (st.confirm === rec)
		updateConfirm();
}

/* A card's status line; its height may move the cards below. */
function setStatus(rec, text) {
	rec.status.textContent = text;
	checkMoves();
}

function removeCard(id, outcome) {
	const rec = st.pending.get(id);
	if (!rec)
		return;
	st.pending.delete(id);
	rec.gone = true;
	clearTimeout(rec.armTimer);
	unwatchCard(rec);
	updateButtons(rec);
	const k = st.order.indexOf(id);
	st.order.splice(k, 1);
	/*
	 * What was chosen is gone: nothing is, until the human chooses
	 * again; told so unless it went by their own decision here.
	 */
	if (st.selected === id) {
		st.selected = null;
		if (!rec.decided)
			keyHint('The request you chose is gone: choose ' +
			    'again (j or ↓).');
	}
	const text = {
		approved: 'Approved: running.',
		denied: 'Denied.',
		expired: 'Expired: nobody answered in time.',
		cancelled: 'Cancelled: the agent stopped waiting.',
	}[outcome] || 'Gone.';
	if (st.confirm === rec)
		closeConfirm();
	rec.li.classList.add('leaving', 'outcome-' + (outcome || 'gone'));
	rec.li.removeAttribute('aria-current');
	setStatus(rec, text);
	const note = st.notes.get(id);
	if (note) {
		note.close();
		st.notes.delete(id);
	}
	/* Cards below move up: they are armed again once they have. */
	setTimeout(() => {
		rec.li.remove();
		for (const later of st.order.slice(k))
			if (st.pending.has(later))
				arm(st.pending.get(later));
		checkMoves();
		showSelection();
	}, 300);
	updateCount();
	showSelection();
}

function tickCard(rec, t) {
	const n = t + st.skew;
	const left = rec.expires - n;
	const total = Math.max(1, rec.expires - rec.added);
	rec.waited.textContent = 'waiting ' + ago(n - rec.added);
	if (rec.gone)
		return;
	if (left > 0) {
		rec.left.textContent = 'expires in ' + clock(left);
		rec.ttl.value = Math.round(1000 * left / total);
	} else {
		rec.left.textContent = 'expiring…';
		rec.ttl.value = 0;
	}
	rec.li.classList.toggle('urgent', left < Math.min(30000, total / 3));
	updateButtons(rec);
}

function updateCount() {
	const n = st.pending.size;
	$('pending-count').textContent = String(n);
	$('empty').hidden = n > 0;
	let t = 'guardiand: approvals';
	if (n > 0)
		t = '(' + n + ') ' + t;
	if (st.conn !== 'connected' && st.conn !== 'connecting')
		t += ' (offline)';
	document.title = t;
}

/* Decisions. */

/*
 * A click on Approve or Deny, a key, Enter in the reason.  Approving
 * a high-risk command only opens the confirmation: running it takes a
 * second, deliberate step there.
 */
function decide(rec, approve, scope) {
	if (rec.busy || rec.gone || st.conn !== 'connected')
		return;
	if (!armed(rec)) {
		keyHint('It just appeared, moved or came into view: look at ' +
		    'it, then decide.');
		return;
	}
	if (approve && rec.high.length) {
		openConfirm(rec, scope || null);
		return;
	}
	post(rec, approve, scope || null);
}

/* The words for what a decision does, by its scope. */
function scopeText(approve, scope) {
	if (scope && scope.always)
		return ('Approved; a rule now approves it always: running.');
	if (scope && scope.for)
		return (approve ? 'Approved for an hour: running.' :
		    'Denied for an hour.');
	return (approve ? 'Approved: running.' : 'Denied.');
}

async function post(rec, approve, scope) {
	if (rec.busy || rec.gone || st.conn !== 'connected')
		return;
	const reason = rec.reason.value.trim();
	if (!approve && new TextEncoder().encode(reason).length > REASON_MAX) {
		setStatus(rec, 'The reason is too long (at most ' +
		    REASON_MAX + ' bytes).');
		return;
	}
	rec.busy = true;
	rec.decided = true;
	updateButtons(rec);
	rec.li.classList.add('busy');
	setStatus(rec, approve ? 'Approving…' : 'Denying…');
	const opts = {
		method: 'POST',
		credentials: 'same-origin',
		cache: 'no-store',
		headers: { 'X-CSRF-Token': st.csrf || '' },
	};
	const body = Object.assign({}, scope || {});
	if (!approve && reason)
		body.reason = reason;
	if (Object.keys(body).length) {
		opts.headers['Content-Type'] = 'application/json';
		opts.body = JSON.stringify(body);
	}
	let r;
	try {
		r = await timedFetch((approve ? '/approve/' : '/deny/') +
		    encodeURIComponent(rec.req.id), opts);
	} catch (e) {
		failed(rec, 'Could not reach guardiand; nothing was decided.');
		return;
	}
	if (r.ok) {
		if (!rec.gone)
			setStatus(rec, scopeText(approve, scope));
		return;
	}
	let why = '';
	try {
		why = (await r.json()).reason || '';
	} catch (e) {
		/* not JSON */
	}
	if (r.status === 404) {
		failed(rec, 'No longer pending: it was decided elsewhere, ' +
		    'expired, or the agent gave up.');
	} else if (r.status === 401) {
		failed(rec, 'Not logged in any more.');
		needLogin();
	} else if (r.status === 403) {
		failed(rec, 'Refused by guardiand: ' + (why || 'forbidden') +
		    '.  Reconnecting for a fresh session token.');
		reconnect(0);
	} else
		failed(rec, 'guardiand answered ' + r.status +
		    (why ? ': ' + why : '') + '.');
}

function failed(rec, text) {
	rec.busy = false;
	rec.decided = false;
	rec.li.classList.remove('busy');
	setStatus(rec, text);
	updateButtons(rec);
}

/*
 * The confirmation of a high-risk command: it names the command, the
 * risks, the folder and the request; Cancel has the focus, and "Run
 * it" is inert for ARM_MS, so neither a double click nor a held key
 * gets through.
 */
function openConfirm(rec, scope) {
	const d = $('confirm');
	if (st.confirm)
		closeConfirm();
	st.confirm = rec;
	st.confirmScope = scope;
	$('confirm-scope').hidden = !scope;
	$('confirm-scope').textContent = scope && scope.for ?
	    'And for an hour, run exactly this command from this cloister ' +
	    'in this folder without asking.' : '';
	$('confirm-cloister').textContent = rec.req.cloister;
	$('confirm-project').textContent = rec.req.project || '(none)';
	$('confirm-cwd').textContent = rec.req.cwd ||
	    '(the cloister\'s worktree)';
	$('confirm-id').textContent = rec.req.id;
	renderCommand($('confirm-cmd'), rec.req.cmd,
	    analyse(lexCanon(rec.req.cmd), rec.req.cwd).marks);
	const ul = $('confirm-risks');
	ul.textContent = '';
	for (const t of rec.high)
		ul.appendChild(el('li', null, t));
	st.confirmAt = performance.now() + ARM_MS;
	const run = $('confirm-run');
	run.classList.remove('arming');
	void run.offsetWidth;
	run.classList.add('arming');
	updateConfirm();
	clearTimeout(st.confirmTimer);
	st.confirmTimer = setTimeout(updateConfirm, ARM_MS);
	if (typeof d.showModal === 'function')
		d.showModal();
	else
		d.setAttribute('open', '');
	$('confirm-cancel').focus();
}

function updateConfirm() {
	const rec = st.confirm;
	const ok = rec && !rec.busy && !rec.gone && st.conn === 'connected' &&
	    rec.expires > now() && performance.now() >= st.confirmAt;
	$('confirm-run').disabled = !ok;
	if (ok)
		$('confirm-run').classList.remove('arming');
}

function closeConfirm() {
	const d = $('confirm');
	const rec = st.confirm;
	st.confirm = null;
	st.confirmScope = null;
	clearTimeout(st.confirmTimer);
	if (d.open)
		d.close();
	if (rec && !rec.gone)
		rec.li.focus({ preventScroll: true });
}

function setupConfirm() {
	const d = $('confirm');
	$('confirm-cancel').addEventListener('click', closeConfirm);
	$('confirm-run').addEventListener('click', () => {
		const rec = st.confirm;
		const scope = st.confirmScope;
		if (!rec || performance.now() < st.confirmAt)
			return;
		closeConfirm();
		post(rec, true, scope);
	});
	/* Escape */
	d.addEventListener('cancel', (ev) => {
		ev.preventDefault();
		closeConfirm();
	});
}

/*
 * Remembered decisions: the grants, each with a Revoke button.
 * Revoking only makes the daemon ask again, so it needs no arming.
 */
function renderGrants() {
	const ol = $('grants');
	const list = Array.from(st.grants.values());

	ol.textContent = '';
	$('grants-empty').hidden = list.length > 0;
	$('grants-count').textContent = String(list.length);
	for (const g of list) {
		const li = el('li', 'grant ' + (g.decision === 'approve' ?
		    'grant-approve' : 'grant-deny'));
		li.dataset.id = g.id;
		li.appendChild(el('span', 'badge', g.decision === 'approve' ?
		    'approves' : 'denies'));
		li.appendChild(el('code', 'gcmd', g.command));
		const meta = li.appendChild(el('span', 'gmeta'));
		const left = parseTime(g.expires) - now();
		meta.appendChild(el('span', 'gwho', g.cloister + ' in ' +
		    g.folder));
		meta.appendChild(el('span', 'gleft', left > 0 ? ' · ' +
		    duration(left) + ' left' : ' · ending'));
		meta.appendChild(el('span', 'guses', ' · used ' + g.uses +
		    (g.uses === 1 ? ' time' : ' times')));
		const b = li.appendChild(el('button', 'btn btn-quiet revoke',
		    'Revoke'));
		b.type = 'button';
		b.title = 'End it now: the next such request asks again';
		b.addEventListener('click', () => revoke(g.id, li, b));
		li.appendChild(el('span', 'gstatus'));
		ol.appendChild(li);
	}
}

async function revoke(id, li, b) {
	const say = (t) => {
		li.querySelector('.gstatus').textContent = t;
	};
	b.disabled = true;
	say(' Revoking…');
	let r;
	try {
		r = await timedFetch('/revoke/' + encodeURIComponent(id), {
			method: 'POST',
			credentials: 'same-origin',
			cache: 'no-store',
			headers: { 'X-CSRF-Token': st.csrf || '' },
		});
	} catch (e) {
		b.disabled = false;
		say(' Could not reach guardiand.');
		return;
	}
	if (r.ok || r.status === 404) {
		/* Gone either way; the event removes it. */
		st.grants.delete(id);
		renderGrants();
		return;
	}
	b.disabled = false;
	if (r.status === 401) {
		say(' Not logged in any more.');
		needLogin();
	} else if (r.status === 403) {
		say(' Refused by guardiand; reconnecting.');
		reconnect(0);
	} else
		say(' guardiand answered ' + r.status + '.');
}

function renderRecent() {
	const ol = $('recent');
	const tpl = $('decision-tpl').content.firstElementChild;

	ol.textContent = '';
	for (const d of st.recent) {
		const li = tpl.cloneNode(true);
		const q = (c) => li.querySelector('.' + c);
		li.dataset.id = d.id;
		li.classList.add('outcome-' + d.outcome);
		q('badge').textContent = d.outcome;
		q('dcmd').textContent = d.cmd;
		q('dcmd').title = d.cmd;
		q('dwho').textContent = d.cloister +
		    (d.project && d.project !== d.cloister ?
		    ' (' + d.project + ')' : '');
		q('dby').textContent = d.user ? 'by ' + d.user : '';
		const t = q('dtime');
		t.dateTime = d.time;
		t.textContent = new Date(parseTime(d.time))
		    .toLocaleTimeString();
		t.title = d.time;
		const ex = q('dexit');
		ex.textContent = exitText(d);
		if (typeof d.reason === 'string' && d.reason)
			q('dreason').textContent = 'reason: ' + d.reason;
		if (d.exit)
			li.classList.add(d.exit.kind === 'exited' &&
			    d.exit.code === 0 ? 'exit-ok' : 'exit-bad');
		ol.appendChild(li);
	}
	$('recent-empty').hidden = st.recent.length > 0;
}

function exitText(d) {
	if (d.exit) {
		const took = ' after ' + duration(d.exit.duration_ms);
		switch (d.exit.kind) {
		case 'exited':
			return ('exit status ' + d.exit.code + took);
		case 'signaled':
			return ('killed by signal ' + d.exit.code + took);
		case 'timed out':
			return ('timed out' + took);
		default:
			return ('killed by guardiand' + took);
		}
	}
	return (d.outcome === 'approved' ? 'running…' : 'did not run');
}

function recordDecision(d) {
	if (!d || !d.id)
		return;
	const k = st.recent.findIndex((x) => x.id === d.id);
	if (k >= 0)
		st.recent[k] = d;
	else
		st.recent.unshift(d);
	st.recent.length = Math.min(st.recent.length, RECENT_MAX);
	renderRecent();
}

/* Selection and keys. */

/*
 * Keys decide for the chosen card only once it has been chosen,
 * visible and in place for ARM_MS: a key on its way when the choice
 * changed does nothing.
 */
function keysReady(rec) {
	return (rec && st.selected === rec.req.id &&
	    performance.now() - st.selectedAt >= ARM_MS && armed(rec));
}

function select(id, focus) {
	if (!st.pending.has(id))
		return;
	if (st.selected !== id) {
		st.selected = id;
		st.selectedAt = performance.now();
		clearTimeout(st.selectTimer);
		st.selectTimer = setTimeout(showSelection, ARM_MS);
		keyHint('');
	}
	showSelection();
	if (focus) {
		const li = st.pending.get(id).li;
		li.focus({ preventScroll: true });
		li.scrollIntoView({ block: 'nearest' });
	}
}

/* .selected, and .keys-ready once a and d act on it. */
function showSelection() {
	for (const li of $('pending').children) {
		const on = li.dataset.id === st.selected &&
		    !li.classList.contains('leaving');
		li.classList.toggle('selected', on);
		li.classList.toggle('keys-ready', on &&
		    keysReady(st.pending.get(li.dataset.id)));
		if (on)
			li.setAttribute('aria-current', 'true');
		else
			li.removeAttribute('aria-current');
	}
}

/* Fixed at the bottom of the window: it moves no card. */
function keyHint(text) {
	$('keyhint').textContent = text;
	$('keyhint').hidden = !text;
	clearTimeout(st.hintTimer);
	if (text)
		st.hintTimer = setTimeout(() => keyHint(''), HINT_MS);
}

function move(delta) {
	if (!st.order.length)
		return;
	let k = st.order.indexOf(st.selected);
	if (k < 0)
		k = delta > 0 ? 0 : st.order.length - 1;
	else
		k = Math.max(0, Math.min(st.order.length - 1, k + delta));
	select(st.order[k], true);
}

function onKey(ev) {
	if (ev.defaultPrevented || ev.ctrlKey || ev.metaKey || ev.altKey)
		return;
	if (st.confirm)
		return;		/* the dialog's own buttons, Escape */
	const t = ev.target;
	if (t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' ||
	    t.isContentEditable))
		return;
	const rec = st.pending.get(st.selected);
	switch (ev.key) {
	case 'j':
	case 'ArrowDown':
		st.keyLock = 0;		/* a deliberate choice */
		move(1);
		break;
	case 'k':
	case 'ArrowUp':
		st.keyLock = 0;
		move(-1);
		break;
	case 'a':
	case 'd':
		if (!rec) {
			/* Nothing chosen: the human chooses, not the key. */
			keyHint('Choose a request first: j or ↓, then ' +
			    ev.key + '.');
			break;
		}
		if (performance.now() < st.keyLock)
			break;
		if (!keysReady(rec)) {
			keyHint('Just chosen or just moved: look at it, then ' +
			    'press ' + ev.key + ' again.');
			break;
		}
		st.keyLock = performance.now() + KEY_LOCK_MS;
		keyHint('');
		decide(rec, ev.key === 'a');
		break;
	case 'r':
		if (rec) {
			st.keyLock = 0;
			rec.reason.focus();
		}
		break;
	default:
		return;
	}
	ev.preventDefault();
}

/* Desktop notifications, opt-in. */

function setupNotify() {
	const b = $('notify');
	if (!('Notification' in window))
		return;
	b.hidden = false;
	try {
		st.notify = localStorage.getItem('guardiand.notify') === '1';
	} catch (e) {
		st.notify = false;
	}
	b.addEventListener('click', async () => {
		if (st.notify) {
			st.notify = false;
		} else {
			let p = Notification.permission;
			if (p === 'default')
				p = await Notification.requestPermission();
			st.notify = p === 'granted';
		}
		try {
			localStorage.setItem('guardiand.notify',
			    st.notify ? '1' : '0');
		} catch (e) {
			/* private mode */
		}
		showNotify();
	});
	showNotify();
}

function showNotify() {
	const b = $('notify');
	const p = Notification.permission;
	if (p === 'denied') {
		b.textContent = 'Notifications are blocked by the browser';
		b.disabled = true;
	} else if (st.notify && p === 'granted') {
		b.textContent = 'Notifications on (turn off)';
		b.disabled = false;
	} else {
		b.textContent = 'Notify me of new requests';
		b.disabled = false;
	}
	b.classList.toggle('on', st.notify && p === 'granted');
}

function notifyNew(req) {
	if (!st.notify || !('Notification' in window) ||
	    Notification.permission !== 'granted')
		return;
	if (document.visibilityState === 'visible' && document.hasFocus())
		return;
	const body = req.cmd.length > 200 ? req.cmd.slice(0, 200) + '…' :
	    req.cmd;
	try {
		const n = new Notification(req.cloister + ' asks to run a ' +
		    'command', { body: body, tag: 'guardiand-' + req.id });
		n.onclick = () => {
			window.focus();
			select(req.id, true);
			n.close();
		};
		st.notes.set(req.id, n);
	} catch (e) {
		/* some browsers allow it only from a service worker */
	}
}

/* The connection. */

const CONN = {
	connecting: ['Connecting…', null, null],
	connected: ['Live', null, null],
	reconnecting: ['Reconnecting…', 'Connection to guardiand lost',
	    'Reconnecting.  The requests below may be out of date and ' +
	    'cannot be decided until the connection is back.'],
	down: ['guardiand not running', 'guardiand is not running (or ' +
	    'cannot be reached)',
	    'This page keeps trying and recovers by itself when guardiand ' +
	    'is back.  Nothing can be approved or denied meanwhile.'],
	login: ['Login needed', 'This browser needs a new login',
	    'The session expired, or guardiand no longer knows it.  ' +
	    'On the host, ' +
	    'run the command below and open the link it prints (in any ' +
	    'tab); this page reconnects by itself once you have.'],
};

function setConn(s) {
	const was = st.conn;
	st.conn = s;
	const c = CONN[s];
	const box = $('conn');
	box.dataset.state = s;
	$('conn-text').textContent = c[0];
	const banner = $('banner');
	banner.hidden = !c[1];
	banner.dataset.state = s;
	if (c[1]) {
		$('banner-title').textContent = c[1];
		$('banner-text').textContent = c[2];
	}
	$('banner-cmd').hidden = s !== 'login';
	document.body.classList.toggle('offline', s !== 'connected' &&
	    s !== 'connecting');
	checkMoves();		/* the banner pushes the cards down */
	if (was !== s) {
		for (const rec of st.pending.values())
			updateButtons(rec);
		updateCount();
	}
}

function timedFetch(url, opts) {
	const ctl = new AbortController();
	const t = setTimeout(() => ctl.abort(), FETCH_TIMEOUT_MS);
	opts = Object.assign({ signal: ctl.signal }, opts || {});
	return (fetch(url, opts).finally(() => clearTimeout(t)));
}

function closeStream() {
	if (st.es) {
		st.es.close();
		st.es = null;
	}
}

function reconnect(delay) {
	clearTimeout(st.timer);
	st.timer = setTimeout(connect, delay);
}

/* Lost, or never got there: keep trying, say how it looks. */
function lost() {
	closeStream();
	if (!st.lostAt)
		st.lostAt = Date.now();
	setConn(Date.now() - st.lostAt >= DOWN_AFTER_MS ? 'down' :
	    'reconnecting');
	const delay = Math.min(250 * Math.pow(2, st.retry), RETRY_MAX_MS);
	st.retry++;
	reconnect(delay);
}

function needLogin() {
	closeStream();
	setConn('login');
	reconnect(LOGIN_POLL_MS);
}

/*
 * A session first (its CSRF token; a 401 means the daemon restarted or
 * the session expired), then the stream.  The browser's own
 * EventSource retry cannot tell these apart, so it is not used.
 */
async function connect() {
	clearTimeout(st.timer);
	let r, s;
	try {
		r = await timedFetch('/session', { credentials: 'same-origin',
		    cache: 'no-store' });
		if (r.status === 401) {
			needLogin();
			return;
		}
		if (!r.ok)
			throw new Error('HTTP ' + r.status);
		s = await r.json();
	} catch (e) {
		lost();
		return;
	}
	st.csrf = s.csrf;
	st.user = s.user;
	$('who').textContent = s.user || 'you';
	openStream();
}

function openStream() {
	closeStream();
	const es = new EventSource('/events');
	st.es = es;
	const on = (type, fn) => es.addEventListener(type, (ev) => {
		if (st.es !== es)
			return;
		st.lastEvent = Date.now();
		let data;
		try {
			data = JSON.parse(ev.data);
		} catch (e) {
			return;
		}
		fn(data);
	});
	on('state', (d) => {
		st.lostAt = 0;
		st.retry = 0;
		applyState(d);
		setConn('connected');
	});
	on('request-added', (req) => {
		addCard(req, true);
		notifyNew(req);
	});
	on('request-removed', (d) => {
		removeCard(d.id, d.outcome);
		recordDecision(d.decision);
	});
	on('request-finished', (d) => recordDecision(d));
	on('grant', (g) => {
		st.grants.set(g.id, g);
		renderGrants();
	});
	on('grant-removed', (d) => {
		st.grants.delete(d.id);
		renderGrants();
	});
	on('heartbeat', (d) => {
		const t = Date.parse(d.time);
		if (Number.isFinite(t))
			st.skew = t - Date.now();
	});
	es.onerror = () => {
		if (st.es === es)
			lost();
	};
}

function applyState(d) {
	const reqs = Array.isArray(d.requests) ? d.requests : [];
	const ids = new Set(reqs.map((r) => r.id));
	let moved = false;

	for (const id of Array.from(st.pending.keys())) {
		if (ids.has(id))
			continue;
		/* Gone while we were away; recent says how, if it knows. */
		const rec = st.pending.get(id);
		st.pending.delete(id);
		st.order.splice(st.order.indexOf(id), 1);
		clearTimeout(rec.armTimer);
		unwatchCard(rec);
		rec.gone = true;
		if (st.confirm === rec)
			closeConfirm();
		rec.li.remove();
		moved = true;
	}
	if (moved)
		for (const rec of st.pending.values())
			arm(rec);
	for (const r of reqs)
		addCard(r, false);
	if (st.selected && !st.pending.has(st.selected))
		st.selected = null;
	checkMoves();
	st.recent = (Array.isArray(d.recent) ? d.recent : [])
	    .slice(0, RECENT_MAX);
	renderRecent();
	st.grants = new Map((Array.isArray(d.grants) ? d.grants : [])
	    .map((g) => [g.id, g]));
	renderGrants();
	updateCount();
	showSelection();
}

function tick() {
	const t = Date.now();
	for (const rec of st.pending.values())
		tickCard(rec, t);
	for (const li of $('grants').children) {
		const g = st.grants.get(li.dataset.id);
		const left = g ? parseTime(g.expires) - now() : 0;
		if (g)
			li.querySelector('.gleft').textContent = left > 0 ?
			    ' · ' + duration(left) + ' left' : ' · ending';
	}
	if (st.conn === 'connected' && st.es &&
	    t - st.lastEvent > STALE_MS)
		lost();		/* a half-open connection says nothing */
	else if (st.conn === 'reconnecting' && st.lostAt &&
	    t - st.lostAt >= DOWN_AFTER_MS)
		setConn('down');
}

function start() {
	document.addEventListener('keydown', onKey);
	/* A tab that comes back: what it shows is seen anew. */
	document.addEventListener('visibilitychange', () => {
		if (document.visibilityState === 'visible')
			for (const rec of st.pending.values())
				arm(rec);
	});
	window.addEventListener('resize', checkMoves);
	setupConfirm();
	setupNotify();
	renderRecent();
	renderGrants();
	updateCount();
	setInterval(tick, 1000);
	connect();
}

/* For the tests: the same functions the page uses. */
window.guardiandUI = { lexCanon: lexCanon, analyse: analyse,
    pieces: pieces };

if (document.readyState === 'loading')
	document.addEventListener('DOMContentLoaded', start);
else
	start();

})();
