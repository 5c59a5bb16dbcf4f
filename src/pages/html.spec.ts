import { escapeHtml, html, SafeHtml } from './html';

describe('escapeHtml', () => {
  it('turns every character that can end text or an attribute value into an entity', () => {
    expect(escapeHtml(`<script>alert("x" + 'y') & </script>`)).toBe(
      '&lt;script&gt;alert(&quot;x&quot; + &#39;y&#39;) &amp; &lt;/script&gt;',
    );
  });

  it('leaves other text, including non-ASCII, as it is', () => {
    expect(escapeHtml('Zoë — Mozilla/5.0 (X11; Linux x86_64)')).toBe('Zoë — Mozilla/5.0 (X11; Linux x86_64)');
  });

  it('escapes an ampersand once, so an entity in the input shows literally', () => {
    expect(escapeHtml('&lt;')).toBe('&amp;lt;');
  });
});

describe('html templates', () => {
  it('escape interpolated strings and numbers', () => {
    const name = '"><img src=x onerror=alert(1)>';
    expect(html`<input value="${name}"><p>${42}</p>`.text).toBe('<input value="&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"><p>42</p>');
  });

  it('keep nested templates as markup and join arrays', () => {
    const items = ['a<b', 'c'].map((x) => html`<li>${x}</li>`);
    expect(html`<ul>${items}</ul>`.text).toBe('<ul><li>a&lt;b</li><li>c</li></ul>');
  });

  it('leave nothing for null, undefined and false, but show true and 0', () => {
    expect(html`[${null}${undefined}${false}${true}${0}]`.text).toBe('[true0]');
  });

  it('do not take a look-alike object for markup', () => {
    const fake = { text: '<b>' } as unknown as SafeHtml;
    expect(html`${fake}`.text).toBe('[object Object]');
  });
});
