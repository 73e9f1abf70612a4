// A report's markdown, from anyone, drawn as DOM: paragraphs, headings,
// emphasis, strikethrough, code, lists, block quotes, rules, links and
// images. Nothing here ever parses HTML: every piece of the text becomes a
// text node or one of the elements listed, made by the shell's el(). Raw
// HTML in the text is shown as the characters it is.
//
// Links go only to http and https: the target, after entities and
// escapes are decoded, must parse as an absolute URL with one of those
// schemes; the href set is that URL's own serialisation, and the reader
// sees the address beside the link's words. Any other target (javascript:,
// data:, relative, nostr:...) leaves the words as text. An image is shown
// only when its target names by sha256 a blob (opts.image decides, from
// what the node holds); any other image becomes a link to it, or its
// description.
//
// The subset follows CommonMark where it matters for reading: ATX and
// setext headings, fenced code, "-", "*", "+" and "1." lists (nested by
// indentation), ">" quotes (nested), thematic breaks, reference links.
// Indented code, tables and HTML blocks read as paragraphs. Work is
// bounded whatever the text: nesting stops at MAX_DEPTH, and link
// parsing has a budget, after which brackets are text.

const MAX_DEPTH = 16;
const MAX_INLINE_DEPTH = 8;
const LINK_BUDGET = 1 << 20; // characters of link targets examined, at most

const BLANK = /^[ \t]*$/;
const ATX = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t]*$/;
const SETEXT = /^ {0,3}(=+|-+)[ \t]*$/;
const HR = /^ {0,3}(?:(?:-[ \t]*){3,}|(?:\*[ \t]*){3,}|(?:_[ \t]*){3,})$/;
const FENCE = /^( {0,3})(`{3,}|~{3,})(.*)$/;
const QUOTE = /^ {0,3}> ?(.*)$/;
const LIST = /^( {0,3})([-+*]|(\d{1,9})[.)])(?:([ \t]+)(.*))?$/;
const REFDEF = /^ {0,3}\[([^\]\\]{1,999})\]:[ \t]*<?([^\s>]+)>?(?:[ \t]+(?:"[^"]*"|'[^']*'|\([^)]*\)))?[ \t]*$/;

// render returns a <div> with src drawn in it. opts: h (see util.makeH),
// image(sha256, alt) -> Node, link(href, children) -> Node.
export function render(src, opts) {
  const lines = String(src).replace(/\r\n?/g, '\n').split('\n').map(expandTabs);
  const ctx = { ...opts, refs: new Map(), budget: LINK_BUDGET };
  const tree = parseBlocks(lines, 0, ctx);
  return opts.h('div', { class: 'feed-prose', dir: 'auto' }, tree.map((b) => drawBlock(b, ctx)));
}

function expandTabs(line) {
  const m = /^[ \t]+/.exec(line);
  return m ? m[0].replace(/\t/g, '    ') + line.slice(m[0].length) : line;
}

function indentOf(line) { return /^ */.exec(line)[0].length; }

function startsBlock(line) {
  return ATX.test(line) || FENCE.test(line) || HR.test(line) || QUOTE.test(line) || LIST.test(line);
}

function parseBlocks(lines, depth, ctx) {
  const out = [];
  let para = null;
  const flush = () => {
    if (para) out.push({ t: 'p', text: para.join('\n') });
    para = null;
  };
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    let m;
    if (BLANK.test(line)) {
      flush();
      i++;
    } else if (para && (m = SETEXT.exec(line))) {
      out.push({ t: 'h', level: m[1][0] === '=' ? 1 : 2, text: para.join('\n') });
      para = null;
      i++;
    } else if ((m = FENCE.exec(line)) && !(m[2][0] === '`' && m[3].includes('`'))) {
      flush();
      const fence = m[2];
      const indent = m[1].length;
      const body = [];
      for (i++; i < lines.length; i++) {
        const c = /^ {0,3}(`{3,}|~{3,})[ \t]*$/.exec(lines[i]);
        if (c && c[1][0] === fence[0] && c[1].length >= fence.length) {
          i++;
          break;
        }
        body.push(lines[i].slice(Math.min(indent, indentOf(lines[i]))));
      }
      out.push({ t: 'code', text: body.join('\n') });
    } else if ((m = ATX.exec(line))) {
      flush();
      out.push({ t: 'h', level: m[1].length, text: (m[2] || '').replace(/(?:^|[ \t]+)#+[ \t]*$/, '') });
      i++;
    } else if (HR.test(line)) {
      flush();
      out.push({ t: 'hr' });
      i++;
    } else if (QUOTE.test(line)) {
      flush();
      const inner = [];
      while (i < lines.length) {
        const q = QUOTE.exec(lines[i]);
        if (q) inner.push(q[1]);
        else if (!BLANK.test(lines[i]) && inner.length && !BLANK.test(inner[inner.length - 1]) && !startsBlock(lines[i])) inner.push(lines[i]);
        else break;
        i++;
      }
      out.push({ t: 'quote', children: depth < MAX_DEPTH ? parseBlocks(inner, depth + 1, ctx) : [{ t: 'p', text: inner.join('\n') }] });
    } else if ((m = LIST.exec(line)) && !(para && (!m[5] || (m[3] && m[3] !== '1')))) {
      flush();
      i = parseList(lines, i, depth, ctx, out);
    } else if (!para && (m = REFDEF.exec(line))) {
      const label = normLabel(m[1]);
      if (!ctx.refs.has(label)) ctx.refs.set(label, m[2]);
      i++;
    } else {
      (para ||= []).push(line);
      i++;
    }
  }
  flush();
  return out;
}

function parseList(lines, i, depth, ctx, out) {
  const first = LIST.exec(lines[i]);
  const ordered = first[3] !== undefined;
  const delim = first[2].slice(-1);
  const items = [];
  while (i < lines.length) {
    const m = LIST.exec(lines[i]);
    if (!m || (m[3] !== undefined) !== ordered || m[2].slice(-1) !== delim || HR.test(lines[i])) break;
    const spaces = (m[4] || '').length;
    const contentIndent = m[1].length + m[2].length + (spaces >= 1 && spaces <= 4 ? spaces : 1);
    const item = [m[5] || ''];
    let lastBlank = false;
    for (i++; i < lines.length; i++) {
      const l = lines[i];
      if (BLANK.test(l)) {
        item.push('');
        lastBlank = true;
      } else if (indentOf(l) >= contentIndent) {
        item.push(l.slice(contentIndent));
        lastBlank = false;
      } else if (!lastBlank && !startsBlock(l)) {
        item.push(l.trimStart());
      } else {
        break;
      }
    }
    while (item.length > 1 && BLANK.test(item[item.length - 1])) item.pop();
    items.push(depth < MAX_DEPTH ? parseBlocks(item, depth + 1, ctx) : [{ t: 'p', text: item.join('\n') }]);
    if (lastBlank && i < lines.length && !LIST.test(lines[i])) break;
  }
  out.push({ t: 'list', ordered, start: ordered ? Number(first[3]) : 1, items });
  return i;
}

function normLabel(s) { return s.trim().replace(/\s+/g, ' ').toLowerCase(); }

function drawBlock(b, ctx) {
  const h = ctx.h;
  switch (b.t) {
    case 'p': return h('p', {}, inline(b.text, ctx, 0, false));
    case 'h': return h('h' + Math.min(b.level + 2, 6), { class: 'feed-md-h' }, inline(b.text, ctx, 0, false));
    case 'hr': return h('hr', {});
    case 'code': return h('pre', {}, h('code', {}, b.text));
    case 'quote': return h('blockquote', {}, b.children.map((c) => drawBlock(c, ctx)));
    case 'list':
      return h(b.ordered ? 'ol' : 'ul', { start: b.ordered && b.start !== 1 ? b.start : null },
        b.items.map((item) => h('li', {}, item.map((c) => drawBlock(c, ctx)))));
  }
  return null;
}

// --- inline ---------------------------------------------------------------

const ENTITIES = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0', copy: '©', reg: '®', mdash: '—', ndash: '–', hellip: '…', laquo: '«', raquo: '»', lsquo: '‘', rsquo: '’', ldquo: '“', rdquo: '”', middot: '·', times: '×', euro: '€' };
const ENTITY = /&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});/y;
const PUNCT = /[!-/:-@[-`{-~]/;
const AUTOLINK = /<([A-Za-z][A-Za-z0-9+.-]{1,31}:[^\s<>]*)>/y;
const BARE_URL = /https?:\/\/[^\s<>"]+/y;

function entity(name) {
  if (name[0] === '#') {
    const cp = name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
    return cp === 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ? '\ufffd' : String.fromCodePoint(cp);
  }
  return ENTITIES[name];
}

// unescape decodes backslash escapes and entities, as in link targets.
function unescape(s) {
  return s.replace(/\\([!-/:-@[-`{-~])|&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});/g,
    (all, p, ent) => (p !== undefined ? p : entity(ent) ?? all));
}

// safeHref is the http(s) URL raw names, serialised by the URL parser
// itself, or null.
export function safeHref(raw) {
  let u;
  try { u = new URL(raw); } catch { return null; }
  return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null;
}

// matches pairs each unescaped opening bracket of s with its closing one.
function matches(s, open, close) {
  const pair = new Map();
  const stack = [];
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\') i++;
    else if (c === open) stack.push(i);
    else if (c === close && stack.length) pair.set(stack.pop(), i);
  }
  return pair;
}

function isSpace(c) { return c === undefined || /\s/.test(c); }
function isWord(c) { return c !== undefined && /[\p{L}\p{N}]/u.test(c); }

// inline draws one paragraph's (or heading's) text.
function inline(s, ctx, depth, inLink) {
  const h = ctx.h;
  const out = [];
  let buf = '';
  const text = (t) => { buf += t; };
  const push = (node) => {
    if (buf) out.push(buf);
    buf = '';
    out.push(node);
  };
  if (depth > MAX_INLINE_DEPTH) return [s];
  const brackets = matches(s, '[', ']');
  const parens = matches(s, '(', ')');
  const noCloser = new Set(); // "c:n": no closing run of n c's after the last try
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (c === '\\') {
      const n = s[i + 1];
      if (n === '\n') { push(h('br', {})); i += 2; continue; }
      if (n !== undefined && PUNCT.test(n)) { text(n); i += 2; continue; }
      text(c); i++; continue;
    }
    if (c === '\n') {
      if (/ {2,}$/.test(buf)) { buf = buf.replace(/ +$/, ''); push(h('br', {})); } else { buf = buf.replace(/ +$/, ''); text('\n'); }
      i++;
      while (s[i] === ' ') i++;
      continue;
    }
    if (c === '&') {
      ENTITY.lastIndex = i;
      const m = ENTITY.exec(s);
      const v = m && entity(m[1]);
      if (v !== undefined && v !== null) { text(v); i += m[0].length; continue; }
      text(c); i++; continue;
    }
    if (c === '`') {
      let n = 1;
      while (s[i + n] === '`') n++;
      const key = '`:' + n;
      let end = -1;
      if (!noCloser.has(key)) {
        for (let k = s.indexOf('`', i + n); k >= 0; k = s.indexOf('`', k + 1)) {
          let r = 1;
          while (s[k + r] === '`') r++;
          if (r === n) { end = k; break; }
          k += r - 1;
        }
        if (end < 0) noCloser.add(key);
      }
      if (end < 0) { text(s.slice(i, i + n)); i += n; continue; }
      let code = s.slice(i + n, end).replace(/\n/g, ' ');
      if (/^ .*[^ ].* $/.test(code)) code = code.slice(1, -1);
      push(h('code', {}, code));
      i = end + n;
      continue;
    }
    if (c === '*' || c === '_' || c === '~') {
      let r = 1;
      while (s[i + r] === c) r++;
      const before = s[i - 1];
      const after = s[i + r];
      const opens = !isSpace(after) && (c !== '_' || !isWord(before));
      const want = c === '~' ? (r === 2 ? [2] : []) : r >= 2 ? [2, 1] : [1];
      let done = false;
      for (const n of opens ? want : []) {
        const key = c + ':' + n;
        if (noCloser.has(key)) continue;
        // The closer is the last n markers of the first run that can
        // close; an opener's extra markers start the inner text.
        let close = -1;
        for (let k = s.indexOf(c, i + r); k >= 0; k = s.indexOf(c, k + 1)) {
          let rk = 1;
          while (s[k + rk] === c) rk++;
          if (rk >= n && !isSpace(s[k - 1]) && s[k - 1] !== '\\' && (c !== '_' || !isWord(s[k + rk])) && (c !== '~' || rk === 2)) {
            close = k + rk - n;
            break;
          }
          k += rk - 1;
        }
        if (close < 0) { noCloser.add(key); continue; }
        if (close === i + n) continue;
        const tag = c === '~' ? 'del' : n === 2 ? 'strong' : 'em';
        push(h(tag, {}, inline(s.slice(i + n, close), ctx, depth + 1, inLink)));
        i = close + n;
        done = true;
        break;
      }
      if (!done) { text(s.slice(i, i + r)); i += r; }
      continue;
    }
    if ((c === '[' || (c === '!' && s[i + 1] === '[')) && !inLink) {
      const image = c === '!';
      const open = image ? i + 1 : i;
      const closeAt = brackets.get(open);
      const link = closeAt === undefined ? null : linkTarget(s, closeAt, parens, ctx, s.slice(open + 1, closeAt));
      if (!link) { text(s.slice(i, open + 1)); i = open + 1; continue; }
      const label = s.slice(open + 1, closeAt);
      if (image) push(drawImage(unescape(link.dest), plainText(label), ctx));
      else push(drawLink(unescape(link.dest), inline(label, ctx, depth + 1, true), ctx));
      i = link.end;
      continue;
    }
    if (c === '<') {
      AUTOLINK.lastIndex = i;
      const m = AUTOLINK.exec(s);
      if (m) {
        push(inLink ? m[1] : drawLink(m[1], [m[1]], ctx));
        i += m[0].length;
        continue;
      }
      text(c); i++; continue;
    }
    if (c === 'h' && !inLink && !isWord(s[i - 1]) && (s.startsWith('http://', i) || s.startsWith('https://', i))) {
      BARE_URL.lastIndex = i;
      let u = BARE_URL.exec(s)[0];
      // Trailing punctuation is the sentence's; a ")" only if unbalanced.
      for (;;) {
        const last = u[u.length - 1];
        if (/[.,:;!?'"*_~]/.test(last)) u = u.slice(0, -1);
        else if (last === ')' && (u.match(/\(/g) || []).length < (u.match(/\)/g) || []).length) u = u.slice(0, -1);
        else break;
      }
      push(drawLink(u, [u], ctx));
      i += u.length;
      continue;
    }
    text(c);
    i++;
  }
  if (buf) out.push(buf);
  return out;
}

// linkTarget reads what follows a link's "]" at close: "(dest "title")",
// "[label]", "[]" or nothing (a shortcut reference). It returns
// {dest, end} or null when that is no link.
function linkTarget(s, close, parens, ctx, label) {
  if (s[close + 1] === '(') {
    const end = parens.get(close + 1);
    if (end === undefined || end - close > 4096 || (ctx.budget -= end - close) < 0) return null;
    const m = /^[ \t\n]*(?:<([^<>\n]*)>|([^\s<]*?))(?:[ \t\n]+(?:"[^"]*"|'[^']*'|\([^()]*\)))?[ \t\n]*$/.exec(s.slice(close + 2, end));
    if (!m) return null;
    return { dest: m[1] ?? m[2], end: end + 1 };
  }
  let ref = label;
  let end = close + 1;
  if (s[close + 1] === '[') {
    const j = s.indexOf(']', close + 2);
    if (j > 0 && j - close < 1000) {
      if (j > close + 2) ref = s.slice(close + 2, j);
      end = j + 1;
    }
  }
  const dest = ctx.refs.get(normLabel(ref));
  return dest === undefined ? null : { dest, end };
}

function plainText(s) {
  return unescape(s).replace(/[*_`~[\]]/g, '').replace(/\s+/g, ' ').trim();
}

function drawLink(raw, children, ctx) {
  const href = safeHref(raw);
  return href ? ctx.link(href, children) : ctx.h('span', {}, children);
}

function drawImage(raw, alt, ctx) {
  const sum = blobSumOf(raw);
  if (sum) return ctx.image(sum, alt);
  const href = safeHref(raw);
  if (href) return ctx.link(href, [alt || href]);
  return ctx.h('span', {}, alt);
}

function blobSumOf(url) {
  const path = String(url || '').split(/[?#]/)[0];
  const m = /(?:^|\/)([0-9a-fA-F]{64})(?:\.[A-Za-z0-9]{1,8})?$/.exec(path);
  return m ? m[1].toLowerCase() : '';
}
