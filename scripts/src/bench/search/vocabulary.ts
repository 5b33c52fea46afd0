// Support vocabularies for the search benchmark's generated data, most frequent first: the
// generator draws word ranks from a Zipf-like (log-uniform) distribution, so the first words
// appear in a large share of the messages and the last ones in a few dozen. Templates are real
// sentences (with a number slot `{n}`), so phrase queries find adjacent words as people write them.

export const EN_WORDS = [
  'the', 'to', 'i', 'and', 'a', 'my', 'is', 'not', 'it', 'please', 'we', 'you', 'for', 'on', 'in', 'with', 'can', 'this', 'account', 'password',
  'login', 'error', 'email', 'help', 'issue', 'problem', 'ticket', 'thanks', 'again', 'when', 'after', 'working', 'reset', 'access', 'invoice',
  'payment', 'order', 'update', 'connection', 'server', 'app', 'phone', 'customer', 'support', 'team', 'today', 'still', 'message', 'screen',
  'page', 'network', 'internet', 'printer', 'user', 'users', 'link', 'file', 'files', 'website', 'portal', 'browser', 'download', 'upload',
  'install', 'installed', 'version', 'mobile', 'android', 'iphone', 'laptop', 'windows', 'office', 'settings', 'profile', 'subscription', 'plan',
  'billing', 'charged', 'refund', 'card', 'bank', 'transfer', 'receipt', 'shipping', 'delivery', 'package', 'tracking', 'address', 'slow',
  'crash', 'crashes', 'crashed', 'freezes', 'timeout', 'failed', 'failure', 'blocked', 'locked', 'expired', 'verification', 'code', 'sms',
  'authentication', 'security', 'backup', 'restore', 'database', 'report', 'reports', 'export', 'import', 'sync', 'calendar', 'meeting', 'vpn',
  'wifi', 'router', 'modem', 'outage', 'maintenance', 'upgrade', 'license', 'activation', 'invoices', 'discount', 'coupon', 'cancel',
  'cancellation', 'contract', 'warranty', 'repair', 'replacement', 'broken', 'damaged', 'missing', 'wrong', 'duplicate', 'notification',
  'notifications', 'attachment', 'attachments', 'spam', 'inbox', 'mailbox', 'quota', 'storage', 'disk', 'memory', 'battery', 'charger',
  'keyboard', 'mouse', 'monitor', 'camera', 'microphone', 'headset', 'bluetooth', 'driver', 'drivers', 'firmware', 'certificate', 'ssl', 'dns',
  'domain', 'hosting', 'api', 'token', 'integration', 'webhook', 'permissions', 'admin', 'role', 'roles', 'workspace', 'dashboard', 'analytics',
  'scanner', 'toner', 'cartridge', 'paper', 'jam', 'projector', 'display', 'resolution', 'latency', 'bandwidth', 'throttling', 'proxy', 'firewall',
  'antivirus', 'malware', 'phishing', 'encryption', 'kerberos', 'ldap', 'sso', 'saml', 'oauth', 'mfa', 'authenticator', 'biometric', 'fingerprint',
  'payroll', 'timesheet', 'procurement', 'reimbursement', 'depreciation', 'reconciliation', 'ledger', 'audit', 'compliance', 'gdpr', 'retention',
  'archival', 'deduplication', 'thermal', 'overheating', 'capacitor', 'motherboard', 'chassis', 'rackmount', 'hypervisor', 'kubernetes',
  'terraform', 'ansible', 'zabbix', 'grafana', 'kibana', 'elasticsearch', 'postgres', 'replication', 'failover', 'quorum', 'tachograph',
  'odometer', 'telematics', 'geofence', 'barcode', 'rfid', 'pallet', 'forklift', 'warehouse', 'manifest', 'customs', 'tariff', 'voucher',
];

export const FA_WORDS = [
  'و', 'به', 'از', 'را', 'که', 'در', 'من', 'این', 'با', 'است', 'لطفاً', 'نمی‌شود', 'حساب', 'کاربری', 'رمز', 'عبور', 'ورود', 'خطا', 'مشکل',
  'درخواست', 'پیام', 'ایمیل', 'سلام', 'ممنون', 'پشتیبانی', 'سفارش', 'پرداخت', 'فاکتور', 'اتصال', 'اینترنت', 'سرور', 'برنامه', 'گوشی', 'صفحه',
  'سایت', 'کاربر', 'کد', 'تایید', 'ارسال', 'دریافت', 'پیگیری', 'هنوز', 'امروز', 'دیروز', 'مجدد', 'تغییر', 'بازیابی', 'فعال', 'غیرفعال',
  'اشتراک', 'تمدید', 'هزینه', 'مبلغ', 'بانک', 'کارت', 'تراکنش', 'ناموفق', 'بازگشت', 'وجه', 'پیامک', 'شماره', 'تلفن', 'آدرس', 'تحویل', 'بسته',
  'مرسوله', 'چاپگر', 'شبکه', 'مودم', 'قطع', 'وصل', 'کند', 'سرعت', 'نصب', 'نسخه', 'به‌روزرسانی', 'دانلود', 'فایل', 'پیوست', 'گزارش', 'خروجی',
  'پنل', 'مدیریت', 'دسترسی', 'مجوز', 'کاربران', 'تنظیمات', 'پروفایل', 'امنیت', 'ویروس', 'پشتیبان', 'بکاپ', 'پایگاه', 'داده', 'تقویم',
  'جلسه', 'نمایشگر', 'صفحه‌کلید', 'ماوس', 'باتری', 'شارژر', 'گارانتی', 'تعمیر', 'تعویض', 'خراب', 'آسیب', 'اشتباه', 'تکراری', 'اعلان',
  'صندوق', 'ورودی', 'حافظه', 'فضای', 'ذخیره‌سازی', 'گواهی', 'دامنه', 'میزبانی', 'توکن', 'یکپارچه‌سازی', 'داشبورد', 'اسکنر', 'کارتریج', 'کاغذ',
  'پروژکتور', 'تاخیر', 'پهنای', 'باند', 'فایروال', 'رمزنگاری', 'احراز', 'هویت', 'اثرانگشت', 'حقوق', 'دستمزد', 'تدارکات', 'حسابرسی', 'انطباق',
  'بایگانی', 'گرمای', 'مادربورد', 'انبار', 'بارنامه', 'گمرک', 'تعرفه', 'بن', 'کالا', 'پالت', 'لیفتراک', 'ردیابی', 'بارکد', 'مالیات', 'ارزش', 'افزوده',
];

/** `{n}` becomes a number; Persian templates get Persian digits. */
export const EN_TEMPLATES = [
  'I cannot log in to my account since this morning.',
  'The password reset link in the email has expired.',
  'Please reset my password, I forgot it again.',
  'I was charged twice for invoice {n} this month.',
  'Our VPN connection keeps dropping every few minutes.',
  'The printer on the second floor shows a paper jam error.',
  'Order {n} has not been delivered yet, can you check the tracking number?',
  'The mobile app crashes when I open the dashboard.',
  'We need a refund for the cancelled subscription.',
  'Email notifications are going to the spam folder.',
  'The connection timed out while uploading a large file.',
  'After the last update the website is very slow.',
  'I did not receive the verification code by SMS.',
  'Two factor authentication is not working on my new phone.',
  'Can you add three new users to our workspace?',
  'The monthly report export fails with error {n}.',
  'Our office internet has been down since yesterday.',
  'The laptop battery drains in less than an hour.',
  'Please send a copy of the receipt for payment {n}.',
  'The server returned an internal error when saving the form.',
  'My account is locked after too many login attempts.',
  'The SSL certificate of our domain expires next week.',
  'Backup restore failed because the disk quota is full.',
  'The scanner driver does not install on Windows.',
  'Thank you, the issue is resolved now.',
  'Could you please escalate this ticket to the network team?',
  'The warehouse barcode scanner cannot sync the manifest.',
  'Customs clearance for shipment {n} is delayed.',
];

export const FA_TEMPLATES = [
  'رمز عبور من کار نمی‌کند و نمی‌توانم وارد حساب کاربری شوم.',
  'لینک بازیابی رمز عبور منقضی شده است.',
  'فاکتور شماره {n} را هنوز دریافت نکرده‌ام.',
  'اتصال اینترنت هر چند دقیقه قطع می‌شود.',
  'مبلغ سفارش {n} دو بار از کارت من کسر شده است.',
  'لطفاً درخواست من را پیگیری کنید.',
  'چاپگر طبقه دوم خطای گیر کردن کاغذ می‌دهد.',
  'برنامه موبایل هنگام باز کردن داشبورد بسته می‌شود.',
  'کد تایید پیامکی برای من ارسال نمی‌شود.',
  'سفارش شماره {n} هنوز تحویل داده نشده است.',
  'پرداخت انجام شد ولی اشتراک من فعال نشد.',
  'ایمیل‌های اعلان به پوشه هرزنامه می‌روند.',
  'می‌خواهم اشتراک سالانه را تمدید کنم.',
  'سرعت سایت بعد از به‌روزرسانی خیلی کند شده است.',
  'گزارش ماهانه با خطای {n} خروجی گرفته نمی‌شود.',
  'حساب کاربری من بعد از چند بار ورود ناموفق قفل شده است.',
  'گواهی امنیتی دامنه ما هفته آینده منقضی می‌شود.',
  'بازگشت وجه تراکنش {n} انجام نشده است.',
  'ممنون، مشکل برطرف شد.',
  'لطفاً این درخواست را به تیم شبکه ارجاع دهید.',
  'بارنامه مرسوله {n} در گمرک مانده است.',
];

export const SUBJECTS_EN = [
  'Cannot log in', 'Password reset not working', 'Invoice {n} charged twice', 'VPN keeps disconnecting', 'Printer paper jam',
  'Order {n} not delivered', 'App crashes on start', 'Refund request', 'Emails go to spam', 'Upload times out', 'Website is slow',
  'No verification code', 'Two factor authentication problem', 'Add new users', 'Report export fails', 'Internet down',
  'Laptop battery', 'Receipt for payment {n}', 'Internal server error', 'Account locked', 'Certificate expiring', 'Backup restore failed',
  'Scanner driver', 'Escalation needed', 'Barcode scanner sync', 'Customs delay for shipment {n}', 'Subscription renewal', 'Billing question',
];

export const SUBJECTS_FA = [
  'مشکل ورود به حساب کاربری', 'بازیابی رمز عبور', 'فاکتور {n}', 'قطع شدن اتصال اینترنت', 'کسر دوباره مبلغ سفارش {n}',
  'پیگیری درخواست', 'خطای چاپگر', 'بسته شدن برنامه موبایل', 'کد تایید پیامکی', 'تحویل نشدن سفارش {n}', 'فعال نشدن اشتراک',
  'ایمیل‌ها در هرزنامه', 'تمدید اشتراک', 'کندی سایت', 'خطای خروجی گزارش', 'قفل شدن حساب', 'گواهی امنیتی دامنه', 'بازگشت وجه',
  'ارجاع به تیم شبکه', 'بارنامه در گمرک',
];

export const KB_TITLES_EN = [
  'How to reset your password', 'Setting up two factor authentication', 'Connecting to the VPN', 'Fixing a printer paper jam',
  'Understanding your invoice', 'Requesting a refund', 'Tracking your order', 'Keeping emails out of spam', 'Exporting monthly reports',
  'Managing users and roles', 'Renewing your subscription', 'Troubleshooting a slow website', 'Installing scanner drivers',
  'Restoring a backup', 'Renewing an SSL certificate', 'Unlocking a locked account',
];

export const KB_TITLES_FA = [
  'بازیابی رمز عبور', 'فعال‌سازی ورود دو مرحله‌ای', 'اتصال به وی‌پی‌ان', 'رفع گیر کردن کاغذ در چاپگر', 'راهنمای فاکتور', 'درخواست بازگشت وجه',
  'پیگیری سفارش', 'جلوگیری از رفتن ایمیل به هرزنامه', 'خروجی گرفتن از گزارش ماهانه', 'مدیریت کاربران و نقش‌ها', 'تمدید اشتراک',
  'رفع کندی سایت', 'نصب درایور اسکنر', 'بازیابی نسخه پشتیبان', 'تمدید گواهی امنیتی', 'باز کردن حساب قفل‌شده',
];

export const FIRST_NAMES = ['Sara', 'Reza', 'Maryam', 'Ali', 'Neda', 'Omid', 'Leila', 'Babak', 'John', 'Emma', 'Liam', 'Olivia', 'Noah', 'Mina', 'Kaveh', 'Shirin', 'سارا', 'رضا', 'مریم', 'علی', 'ندا', 'امید'];
export const LAST_NAMES = ['Ahmadi', 'Karimi', 'Hosseini', 'Rahimi', 'Moradi', 'Smith', 'Johnson', 'Brown', 'Tehrani', 'Shirazi', 'Kazemi', 'Jafari', 'احمدی', 'کریمی', 'حسینی', 'رحیمی', 'مرادی', 'تهرانی'];
export const ORG_WORDS = ['Pars', 'Rahavard', 'Kavir', 'Alborz', 'Zagros', 'Caspian', 'Persis', 'Simorgh', 'Tiva', 'Arvand', 'Delta', 'Nova'];
export const ORG_KINDS = ['Logistics', 'Telecom', 'Bank', 'Retail', 'Software', 'Insurance', 'Foods', 'Pharma', 'Textiles', 'Energy'];
export const TAGS = ['vpn', 'billing', 'urgent-customer', 'hardware', 'password', 'refund', 'mobile', 'network', 'vip', 'shipping', 'bug', 'feature-request'];
export const GROUPS = ['Accounts', 'Billing desk', 'Network', 'Hardware', 'Logistics'];
export const CATEGORIES = ['Login', 'Payments', 'Connectivity', 'Devices', 'Orders', 'Email', 'Security', 'Reports'];
export const KB_CATEGORIES: Array<[string, string]> = [
  ['Accounts', 'حساب‌ها'], ['Billing', 'صورتحساب'], ['Network', 'شبکه'], ['Devices', 'دستگاه‌ها'], ['Orders', 'سفارش‌ها'],
  ['Email', 'ایمیل'], ['Security', 'امنیت'], ['Reports', 'گزارش‌ها'], ['Getting started', 'شروع کار'], ['Integrations', 'یکپارچه‌سازی'],
];
