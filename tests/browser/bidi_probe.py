"""The visual order of the characters of a block, as Chromium lays them out."""

# Every element that holds text of its own and no Arabic letter, in a right-to-left page: the
# characters as shown left to right, against the characters as typed. A phone number, an
# address or a Latin sentence must read as typed (whitespace and edge punctuation aside).
SCRAMBLED = """(root) => {
  const arabic = /[\\u0600-\\u06FF]/;
  const ltr = /[A-Za-z0-9\\u00C0-\\u024F]/;
  const out = [];
  // The block each visible text sits in: its bidi paragraph.
  const blocks = new Set();
  const texts = document.createTreeWalker(document.querySelector(root), NodeFilter.SHOW_TEXT);
  for (let n = texts.nextNode(); n; n = texts.nextNode()) {
    if (!n.data.trim()) continue;
    let e = n.parentElement;
    if (!e.checkVisibility({visibilityProperty: true})) continue;
    while (getComputedStyle(e).display === 'inline' && e.parentElement) e = e.parentElement;
    blocks.add(e);
  }
  for (const e of blocks) {
    const text = e.textContent;
    if (arabic.test(text) || !ltr.test(text)) continue;
    if (getComputedStyle(e).direction !== 'rtl') continue;
    const walker = document.createTreeWalker(e, NodeFilter.SHOW_TEXT);
    const chars = [];
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      for (let i = 0; i < n.data.length; i++) {
        if (!n.data[i].trim()) continue;
        const r = document.createRange(); r.setStart(n, i); r.setEnd(n, i + 1);
        const b = r.getBoundingClientRect();
        if (b.width > 0) chars.push([Math.round(b.top / 4), b.left, n.data[i]]);
      }
    }
    chars.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    const pictures = /[\\p{Extended_Pictographic}\\uFE0F]/gu;
    const shown = chars.map((c) => c[2]).join('').replace(pictures, '');
    const typed = text.replace(/\\s+/g, '').replace(pictures, '');
    if (shown !== typed) out.push(`<${e.tagName.toLowerCase()}> « ${text.trim()} » shown as « ${
        chars.map((c) => c[2]).join('')} »`);
  }
  return out;
}"""
