import type { EntityManager } from '@mikro-orm/postgresql';
import { sanitizeArticleHtml } from '../sanitize';
import type { KbLang, KbStatus, KbVisibility } from './kb-entities';
import { pgArray } from './sql';

// Demo knowledge base: a two-level category tree and a dozen everyday IT and billing articles in
// English and Persian, mostly published and public; one internal runbook, one draft. Seeded
// once (nothing happens while any article exists), with version 1 of every translation.

interface SeedTranslation {
  title: string;
  slug: string;
  body: string;
  status?: KbStatus;
}
interface SeedArticle {
  category: string;
  visibility?: KbVisibility;
  tags: string[];
  en: SeedTranslation;
  fa?: SeedTranslation;
}

const CATEGORIES: { key: string; parent?: string; en: string; fa: string }[] = [
  { key: 'account', en: 'Account and security', fa: 'حساب کاربری و امنیت' },
  { key: 'passwords', parent: 'account', en: 'Passwords and sign-in', fa: 'گذرواژه و ورود' },
  { key: '2fa', parent: 'account', en: 'Two-factor authentication', fa: 'ورود دومرحله‌ای' },
  { key: 'network', en: 'Network and devices', fa: 'شبکه و دستگاه‌ها' },
  { key: 'vpn', parent: 'network', en: 'VPN', fa: 'وی‌پی‌ان' },
  { key: 'printers', parent: 'network', en: 'Printers', fa: 'چاپگرها' },
  { key: 'email', parent: 'network', en: 'E-mail', fa: 'ایمیل' },
  { key: 'billing', en: 'Billing', fa: 'صورتحساب و پرداخت' },
  { key: 'invoices', parent: 'billing', en: 'Invoices', fa: 'فاکتورها' },
];

const steps = (items: string[]) => `<ol>${items.map((i) => `<li>${i}</li>`).join('')}</ol>`;

const ARTICLES: SeedArticle[] = [
  {
    category: 'passwords',
    tags: ['password', 'sign-in'],
    en: {
      title: 'Reset a forgotten password',
      slug: 'reset-a-forgotten-password',
      body: `<p>If you cannot remember your password, you can choose a new one yourself in a few minutes.</p>${steps([
        'Open the sign-in page and choose <strong>Forgot password?</strong>',
        'Enter the e-mail address of your account and send the form.',
        'Open the e-mail we send you (check the spam folder too) and follow the link within 30 minutes.',
        'Choose a new password of at least 12 characters that you do not use anywhere else.',
      ])}<p>If no e-mail arrives within ten minutes, contact support with your user name: we will check the address on your account.</p>`,
    },
    fa: {
      title: 'بازنشانی گذرواژهٔ فراموش‌شده',
      slug: 'بازنشانی-گذرواژه-فراموش-شده',
      body: `<p>اگر گذرواژهٔ خود را به یاد نمی‌آورید، می‌توانید در چند دقیقه خودتان گذرواژهٔ تازه‌ای انتخاب کنید.</p>${steps([
        'صفحهٔ ورود را باز کنید و <strong>گذرواژه را فراموش کرده‌اید؟</strong> را بزنید.',
        'نشانی ایمیل حساب خود را وارد و فرم را ارسال کنید.',
        'ایمیلی را که برایتان می‌فرستیم باز کنید (پوشهٔ هرزنامه را هم ببینید) و ظرف ۳۰ دقیقه روی پیوند آن بزنید.',
        'گذرواژهٔ تازه‌ای با دست‌کم ۱۲ نویسه انتخاب کنید که جای دیگری از آن استفاده نمی‌کنید.',
      ])}<p>اگر تا ده دقیقه ایمیلی نرسید، با نام کاربری خود به پشتیبانی پیام دهید تا نشانی ثبت‌شده در حسابتان را بررسی کنیم.</p>`,
    },
  },
  {
    category: 'passwords',
    tags: ['password', 'security'],
    en: {
      title: 'Change your password',
      slug: 'change-your-password',
      body: `<p>Change your password right away if you think someone else may know it.</p>${steps([
        'Sign in and open <strong>Profile → Security</strong>.',
        'Enter your current password, then the new one twice.',
        'Choose <strong>Save</strong>. Other devices are signed out and need the new password.',
      ])}<p>A good password is long rather than complicated: four or five unrelated words work well. A password manager remembers them for you.</p>`,
    },
    fa: {
      title: 'تغییر گذرواژه',
      slug: 'تغییر-گذرواژه',
      body: `<p>اگر فکر می‌کنید کس دیگری گذرواژهٔ شما را می‌داند، فوراً آن را تغییر دهید.</p>${steps([
        'وارد شوید و <strong>نمایه ← امنیت</strong> را باز کنید.',
        'گذرواژهٔ فعلی و سپس گذرواژهٔ تازه را دو بار وارد کنید.',
        '<strong>ذخیره</strong> را بزنید. دستگاه‌های دیگر از حساب خارج می‌شوند و به گذرواژهٔ تازه نیاز دارند.',
      ])}<p>گذرواژهٔ خوب بلند است نه پیچیده: چهار یا پنج واژهٔ نامرتبط به خوبی کار می‌کند. یک برنامهٔ مدیریت گذرواژه آن‌ها را برایتان به خاطر می‌سپارد.</p>`,
    },
  },
  {
    category: '2fa',
    tags: ['2fa', 'security'],
    en: {
      title: 'Turn on two-factor authentication',
      slug: 'turn-on-two-factor-authentication',
      body: `<p>Two-factor authentication (2FA) asks for a one-time code from your phone as well as your password, so a stolen password alone is not enough.</p>${steps([
        'Install an authenticator app (for example FreeOTP, Google Authenticator or Microsoft Authenticator).',
        'Open <strong>Profile → Security → Two-factor authentication</strong> and choose <strong>Turn on</strong>.',
        'Scan the QR code with the app and enter the six-digit code it shows.',
        'Print or store the recovery codes somewhere safe: each works once if you lose your phone.',
      ])}`,
    },
    fa: {
      title: 'فعال‌سازی ورود دومرحله‌ای',
      slug: 'فعال-سازی-ورود-دومرحله-ای',
      body: `<p>ورود دومرحله‌ای علاوه بر گذرواژه یک کد یک‌بارمصرف از تلفن شما می‌خواهد؛ بنابراین گذرواژهٔ دزدیده‌شده به‌تنهایی کافی نیست.</p>${steps([
        'یک برنامهٔ احراز هویت (مثلاً FreeOTP، Google Authenticator یا Microsoft Authenticator) نصب کنید.',
        '<strong>نمایه ← امنیت ← ورود دومرحله‌ای</strong> را باز کنید و <strong>فعال‌سازی</strong> را بزنید.',
        'کد QR را با برنامه اسکن کنید و کد شش‌رقمی نمایش‌داده‌شده را وارد کنید.',
        'کدهای بازیابی را چاپ کنید یا جای امنی نگه دارید: اگر تلفن را گم کنید، هر کدام یک بار کار می‌کند.',
      ])}`,
    },
  },
  {
    category: '2fa',
    tags: ['2fa', 'recovery'],
    en: {
      title: 'Lost the phone with your authenticator app',
      slug: 'lost-phone-authenticator-app',
      body: `<p>Sign in with one of your recovery codes instead of the six-digit code, then turn two-factor authentication off and on again to link your new phone.</p><p>Without recovery codes, open a ticket from another account or call support: we confirm your identity before resetting 2FA, which can take one working day.</p>`,
    },
    fa: {
      title: 'تلفن دارای برنامهٔ احراز هویت گم شده است',
      slug: 'گم-شدن-تلفن-برنامه-احراز-هویت',
      body: `<p>به‌جای کد شش‌رقمی با یکی از کدهای بازیابی وارد شوید، سپس ورود دومرحله‌ای را غیرفعال و دوباره فعال کنید تا تلفن تازه متصل شود.</p><p>اگر کد بازیابی ندارید، از حساب دیگری درخواست ثبت کنید یا با پشتیبانی تماس بگیرید: پیش از بازنشانی، هویت شما را تأیید می‌کنیم که ممکن است یک روز کاری طول بکشد.</p>`,
    },
  },
  {
    category: 'vpn',
    tags: ['vpn', 'remote-work'],
    en: {
      title: 'Connect to the company VPN',
      slug: 'connect-to-the-company-vpn',
      body: `<p>The VPN lets you reach internal systems from home or while travelling.</p>${steps([
        'Install the WireGuard client from the official site or your app store.',
        'Download your personal configuration file from <strong>Profile → Devices</strong>.',
        'Import the file into WireGuard and turn the tunnel on.',
        'Check the connection by opening the intranet home page.',
      ])}<p>Each configuration is for one device: create a new one for each laptop or phone.</p>`,
    },
    fa: {
      title: 'اتصال به وی‌پی‌ان شرکت',
      slug: 'اتصال-به-وی-پی-ان-شرکت',
      body: `<p>وی‌پی‌ان به شما امکان می‌دهد از خانه یا در سفر به سامانه‌های داخلی دسترسی داشته باشید.</p>${steps([
        'برنامهٔ WireGuard را از سایت رسمی یا فروشگاه برنامه نصب کنید.',
        'پروندهٔ پیکربندی شخصی خود را از <strong>نمایه ← دستگاه‌ها</strong> دریافت کنید.',
        'پرونده را در WireGuard وارد کنید و تونل را روشن کنید.',
        'با باز کردن صفحهٔ اصلی اینترانت، اتصال را بررسی کنید.',
      ])}<p>هر پیکربندی مخصوص یک دستگاه است: برای هر لپ‌تاپ یا تلفن یکی جداگانه بسازید.</p>`,
    },
  },
  {
    category: 'vpn',
    tags: ['vpn', 'troubleshooting'],
    en: {
      title: 'VPN connects but websites do not load',
      slug: 'vpn-connects-but-websites-do-not-load',
      body: `<p>When the tunnel shows as connected but pages time out, the cause is usually name resolution or a clock that is out of sync.</p><ul><li>Turn the tunnel off and on again after switching networks (Wi-Fi to mobile data).</li><li>Make sure your computer’s date and time are set automatically.</li><li>Try opening an internal address by its IP; if that works, restart the computer to reset DNS.</li><li>Hotel and café networks sometimes block VPNs: try your phone’s hotspot.</li></ul>`,
    },
    fa: {
      title: 'وی‌پی‌ان وصل می‌شود اما وب‌سایت‌ها باز نمی‌شوند',
      slug: 'وی-پی-ان-وصل-است-اما-سایت-ها-باز-نمی-شوند',
      body: `<p>وقتی تونل متصل نشان داده می‌شود اما صفحه‌ها باز نمی‌شوند، معمولاً مشکل از تبدیل نام (DNS) یا تنظیم نبودن ساعت است.</p><ul><li>پس از تغییر شبکه (از وای‌فای به دادهٔ همراه) تونل را خاموش و دوباره روشن کنید.</li><li>مطمئن شوید تاریخ و ساعت رایانه به‌صورت خودکار تنظیم می‌شود.</li><li>یک نشانی داخلی را با IP باز کنید؛ اگر باز شد، رایانه را دوباره راه‌اندازی کنید تا DNS بازنشانی شود.</li><li>شبکهٔ هتل‌ها و کافه‌ها گاهی وی‌پی‌ان را مسدود می‌کند: نقطهٔ اتصال تلفن همراه را امتحان کنید.</li></ul>`,
    },
  },
  {
    category: 'printers',
    tags: ['printer'],
    en: {
      title: 'Add an office printer',
      slug: 'add-an-office-printer',
      body: `<p>Office printers are shared over the network; you only need to add them once.</p>${steps([
        'Connect to the office network (or the VPN).',
        'On Windows open <strong>Settings → Bluetooth &amp; devices → Printers &amp; scanners</strong>; on macOS <strong>System Settings → Printers &amp; Scanners</strong>.',
        'Choose <strong>Add printer</strong> and pick the printer named after your floor, e.g. <code>PRN-3F-EAST</code>.',
        'Print a test page.',
      ])}`,
    },
    fa: {
      title: 'افزودن چاپگر اداره',
      slug: 'افزودن-چاپگر-اداره',
      body: `<p>چاپگرهای اداره در شبکه به اشتراک گذاشته شده‌اند و فقط یک بار باید آن‌ها را اضافه کنید.</p>${steps([
        'به شبکهٔ اداره (یا وی‌پی‌ان) وصل شوید.',
        'در ویندوز <strong>Settings ← Bluetooth &amp; devices ← Printers &amp; scanners</strong> و در مک <strong>System Settings ← Printers &amp; Scanners</strong> را باز کنید.',
        '<strong>Add printer</strong> را بزنید و چاپگری را که به نام طبقهٔ شماست انتخاب کنید، مثلاً <code>PRN-3F-EAST</code>.',
        'یک صفحهٔ آزمایشی چاپ کنید.',
      ])}`,
    },
  },
  {
    category: 'printers',
    tags: ['printer', 'troubleshooting'],
    en: {
      title: 'The printer shows as offline',
      slug: 'printer-shows-as-offline',
      body: `<p>Work through these checks in order:</p>${steps([
        'Look at the printer’s display: clear any paper jam or empty tray message first.',
        'Cancel every job in the print queue and print again.',
        'Remove the printer from your computer and add it again.',
        'Still offline? Open a ticket with the printer’s name (on the label at the front).',
      ])}`,
    },
    fa: {
      title: 'چاپگر آفلاین نشان داده می‌شود',
      slug: 'چاپگر-آفلاین-است',
      body: `<p>این بررسی‌ها را به ترتیب انجام دهید:</p>${steps([
        'صفحهٔ نمایش چاپگر را ببینید: ابتدا گیر کردن کاغذ یا خالی بودن سینی را برطرف کنید.',
        'همهٔ کارهای صف چاپ را لغو و دوباره چاپ کنید.',
        'چاپگر را از رایانه حذف و دوباره اضافه کنید.',
        'هنوز آفلاین است؟ با نام چاپگر (روی برچسب جلوی آن) درخواست ثبت کنید.',
      ])}`,
    },
  },
  {
    category: 'email',
    tags: ['email', 'mobile'],
    en: {
      title: 'Set up your work e-mail on a phone',
      slug: 'set-up-work-email-on-a-phone',
      body: `<p>Use the built-in mail app or Outlook with these settings:</p><table><thead><tr><th>Setting</th><th>Value</th></tr></thead><tbody><tr><td>Incoming (IMAP)</td><td>mail.example.com, port 993, SSL/TLS</td></tr><tr><td>Outgoing (SMTP)</td><td>mail.example.com, port 587, STARTTLS</td></tr><tr><td>User name</td><td>your full e-mail address</td></tr></tbody></table><p>If two-factor authentication is on, create an app password under <strong>Profile → Security</strong> and use it instead of your normal password.</p>`,
    },
    fa: {
      title: 'راه‌اندازی ایمیل کاری روی تلفن همراه',
      slug: 'راه-اندازی-ایمیل-کاری-روی-تلفن',
      body: `<p>از برنامهٔ ایمیل خود تلفن یا Outlook با این تنظیمات استفاده کنید:</p><table><thead><tr><th>تنظیم</th><th>مقدار</th></tr></thead><tbody><tr><td>دریافت (IMAP)</td><td>mail.example.com، درگاه ۹۹۳، SSL/TLS</td></tr><tr><td>ارسال (SMTP)</td><td>mail.example.com، درگاه ۵۸۷، STARTTLS</td></tr><tr><td>نام کاربری</td><td>نشانی کامل ایمیل شما</td></tr></tbody></table><p>اگر ورود دومرحله‌ای فعال است، در <strong>نمایه ← امنیت</strong> یک گذرواژهٔ برنامه بسازید و به‌جای گذرواژهٔ معمولی از آن استفاده کنید.</p>`,
    },
  },
  {
    category: 'invoices',
    tags: ['invoice', 'billing'],
    en: {
      title: 'Download or pay an invoice',
      slug: 'download-or-pay-an-invoice',
      body: `<p>All invoices of your organization are under <strong>Billing → Invoices</strong>.</p>${steps([
        'Choose the invoice number to see its lines and due date.',
        'Choose <strong>Download PDF</strong> for your records or your accounts department.',
        'Choose <strong>Pay now</strong> to pay by card, or transfer the amount quoting the invoice number.',
      ])}<p>Payments by bank transfer appear within two working days.</p>`,
    },
    fa: {
      title: 'دریافت یا پرداخت فاکتور',
      slug: 'دریافت-یا-پرداخت-فاکتور',
      body: `<p>همهٔ فاکتورهای سازمان شما در <strong>صورتحساب ← فاکتورها</strong> است.</p>${steps([
        'روی شمارهٔ فاکتور بزنید تا ردیف‌ها و سررسید آن را ببینید.',
        'برای بایگانی یا واحد حسابداری <strong>دریافت PDF</strong> را بزنید.',
        'برای پرداخت با کارت <strong>پرداخت</strong> را بزنید یا مبلغ را با ذکر شمارهٔ فاکتور واریز کنید.',
      ])}<p>واریزهای بانکی ظرف دو روز کاری نمایش داده می‌شوند.</p>`,
    },
  },
  {
    category: 'billing',
    tags: ['billing'],
    en: {
      title: 'Update billing address and tax number',
      slug: 'update-billing-address-and-tax-number',
      body: `<p>Organization admins can change the billing details under <strong>Billing → Details</strong>. Changes apply to the next invoice; invoices already issued keep the details they were issued with. To correct an issued invoice, open a ticket in the Billing category with the invoice number.</p>`,
    },
    fa: {
      title: 'به‌روزرسانی نشانی صورتحساب و شناسهٔ مالیاتی',
      slug: 'به-روزرسانی-نشانی-صورتحساب',
      body: `<p>مدیران سازمان می‌توانند مشخصات صورتحساب را در <strong>صورتحساب ← مشخصات</strong> تغییر دهند. تغییرات از فاکتور بعدی اعمال می‌شود و فاکتورهای صادرشده با همان مشخصات قبلی می‌مانند. برای اصلاح فاکتور صادرشده، در دستهٔ «صورتحساب» با شمارهٔ فاکتور درخواست ثبت کنید.</p>`,
    },
  },
  {
    category: 'vpn',
    visibility: 'internal',
    tags: ['vpn', 'runbook'],
    en: {
      title: 'Runbook: many users report VPN failures',
      slug: 'runbook-vpn-outage',
      body: `<p><strong>Staff only.</strong> When three or more tickets about the VPN arrive within 15 minutes:</p>${steps([
        'Check the VPN gateway dashboard for the tunnel count and CPU.',
        'Post a notice on the status page and link the tickets to one parent ticket.',
        'Escalate to Tier 2 with the gateway graphs attached.',
      ])}`,
    },
    fa: {
      title: 'دستورالعمل: گزارش خرابی وی‌پی‌ان از سوی کاربران زیاد',
      slug: 'دستورالعمل-قطعی-وی-پی-ان',
      body: `<p><strong>فقط کارکنان.</strong> وقتی سه درخواست یا بیشتر دربارهٔ وی‌پی‌ان ظرف ۱۵ دقیقه می‌رسد:</p>${steps([
        'داشبورد دروازهٔ وی‌پی‌ان را برای تعداد تونل‌ها و مصرف پردازنده بررسی کنید.',
        'در صفحهٔ وضعیت اطلاعیه بگذارید و درخواست‌ها را به یک درخواست اصلی پیوند دهید.',
        'با پیوست نمودارهای دروازه به سطح ۲ ارجاع دهید.',
      ])}`,
    },
  },
  {
    category: 'vpn',
    tags: ['vpn'],
    en: {
      title: 'New VPN client for macOS (coming soon)',
      slug: 'new-vpn-client-for-macos',
      status: 'draft',
      body: `<p>From next month macOS laptops move to the new VPN client. This article will describe the switch.</p>`,
    },
    fa: {
      title: 'کلاینت تازهٔ وی‌پی‌ان برای مک (به‌زودی)',
      slug: 'کلاینت-تازه-وی-پی-ان-برای-مک',
      status: 'draft',
      body: `<p>از ماه آینده لپ‌تاپ‌های مک به کلاینت تازهٔ وی‌پی‌ان منتقل می‌شوند. این مقاله روند جابه‌جایی را شرح خواهد داد.</p>`,
    },
  },
];

/** Seeds the demo knowledge base unless there is already an article; returns whether it did. */
export async function seedKnowledgeBase(em: EntityManager, authorId: number | null): Promise<boolean> {
  return em.transactional(async (tx) => {
    await tx.execute('lock table kb_articles in share row exclusive mode');
    if ((await tx.execute('select 1 from kb_articles limit 1')).length) return false;
    const categoryIds = new Map<string, number>();
    for (const [i, c] of CATEGORIES.entries()) {
      const [row] = await tx.execute<{ id: number }[]>('insert into kb_categories (parent_id, position, names, created_at, updated_at) values (?, ?, ?::jsonb, now(), now()) returning id', [
        c.parent ? categoryIds.get(c.parent)! : null,
        i,
        JSON.stringify({ en: c.en, fa: c.fa }),
      ]);
      categoryIds.set(c.key, row!.id);
    }
    for (const a of ARTICLES) {
      const [article] = await tx.execute<{ id: number }[]>(
        `insert into kb_articles (category_id, visibility, tags, author_id, created_at, updated_at, version) values (?, ?, ?::text[], ?, now(), now(), 1) returning id`,
        [categoryIds.get(a.category)!, a.visibility ?? 'public', pgArray(a.tags), authorId],
      );
      for (const lang of ['en', 'fa'] as const satisfies readonly KbLang[]) {
        const t = a[lang];
        if (!t) continue;
        const status = t.status ?? 'published';
        const body = sanitizeArticleHtml(t.body);
        const [tr] = await tx.execute<{ id: number }[]>(
          `insert into kb_article_translations (article_id, lang, title, slug, body_html, body_text, status, published_at, updated_by, created_at, updated_at, version)
           values (?, ?, ?, ?, ?, ?, ?, ?, ?, now(), now(), 1) returning id`,
          [article!.id, lang, t.title, t.slug, body.html, body.text, status, status === 'published' ? new Date() : null, authorId],
        );
        await tx.execute(`insert into kb_article_versions (translation_id, number, title, slug, body_html, status, author_id, created_at) values (?, 1, ?, ?, ?, ?, ?, now())`, [
          tr!.id,
          t.title,
          t.slug,
          body.html,
          status,
          authorId,
        ]);
      }
    }
    return true;
  });
}
