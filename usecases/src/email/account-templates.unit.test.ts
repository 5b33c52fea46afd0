import { describe, expect, it } from 'vitest';
import { ACCOUNT_EMAIL_KINDS } from '@mehrdesk/workflows/account-email';
import { renderAccountEmail } from './account-templates';

describe('account e-mails', () => {
  const vars = { name: '<b>Sara</b> & co', link: 'https://help.example.com/portal/verify?token=abc.def', hours: 24 };

  it.each(ACCOUNT_EMAIL_KINDS.flatMap((k) => (['en', 'fa'] as const).map((l) => [k, l] as const)))('%s in %s: the link as a button and in the text, the name escaped', (kind, locale) => {
    const mail = renderAccountEmail(kind, locale, vars);
    expect(mail.text).toContain(vars.link);
    expect(mail.html).toContain(`href="${vars.link}"`);
    expect(mail.html).toContain('&lt;b&gt;Sara&lt;/b&gt; &amp; co');
    expect(mail.html).not.toContain('<b>Sara</b>');
    expect(mail.html).toContain(locale === 'fa' ? 'dir="rtl"' : 'dir="ltr"');
    expect(mail.subject).not.toMatch(/[\r\n]/);
  });

  it('tells how long the link works, where there is one', () => {
    expect(renderAccountEmail('verify', 'en', vars).text).toContain('24 hours');
    expect(renderAccountEmail('reset', 'en', { ...vars, hours: 2 }).text).toContain('2 hours');
    expect(renderAccountEmail('reset', 'fa', { ...vars, hours: 2 }).text).toContain('2 ساعت');
  });
});
