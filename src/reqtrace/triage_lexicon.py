"""The small bilingual lexicon behind triage: concepts, cue phrases, units.

Everything here is data, kept apart from the code that uses it so that it can
be read and extended in one place. English entries are written as plain words;
`wording.py` stems them the same way it stems text. Chinese entries are matched
as substrings of runs of Han characters (Chinese has no spaces).

Concepts let a Chinese request meet an English requirement: 预约 and "booking"
both become the concept token `k:book`. The list covers the words of software
products in general (accounts, messages, reports, payments, performance …)
plus those of appointment booking, the worked example's domain.
"""

from __future__ import annotations

# concept -> surface forms (English words or phrases, Chinese words)
CONCEPTS: dict[str, tuple[str, ...]] = {
    # -- booking and scheduling
    "book": ("book", "booking", "booked", "appointment", "appointments", "reserve", "reservation",
             "预约", "挂号", "约号", "约了", "约完", "约不了", "约上", "号源", "约满", "已约"),
    "cancel": ("cancel", "cancelled", "canceled", "cancelling", "cancellation", "canel",
               "取消", "退号", "退约"),
    "reschedule": ("reschedule", "rescheduling", "move an appointment", "moving", "改约", "改期", "换个时间"),
    "slot": ("slot", "slots", "time slot", "号", "时段", "时间段", "号子"),
    "schedule": ("schedule", "rota", "calendar", "day view", "week view", "日程", "排班", "日历", "日程表", "排期"),
    "window": ("ahead", "in advance", "booking window", "further ahead", "提前", "以内", "以后的号", "之内"),
    "opening": ("opening hours", "open", "closed", "opening", "开诊", "营业", "开门", "门诊时间", "上班时间", "不开诊"),
    "holiday": ("holiday", "public holiday", "假期", "放假", "节假日", "五一", "国庆", "春节"),
    "weekend": ("sunday", "sundays", "saturday", "saturdays", "weekend", "周日", "周六", "星期天", "星期日",
                "星期六", "礼拜天", "礼拜六", "周末"),
    "noshow": ("no-show", "no show", "no-shows", "did not show", "didn't show", "did not come", "not come",
               "爽约", "没来", "不来"),
    "block": ("block", "blocked", "blocking", "lock", "locked", "lift the block", "封", "封号", "锁", "锁住",
              "锁定", "屏蔽", "停诊"),
    "limit": ("limit", "maximum", "at most", "max", "up to", "最多", "上限", "限制", "不超过", "至多"),
    "wait": ("waiting list", "wait list", "waitlist", "queue", "候补", "排队叫号", "叫号", "候补名单"),
    "doctor": ("doctor", "doctors", "dr", "physician", "医生", "大夫", "医师"),
    "patient": ("patient", "patients", "病人", "患者", "病患"),
    "family": ("family", "family member", "kids", "children", "child", "parents", "grandparents", "mother",
               "家庭", "家人", "家里人", "家庭成员", "子女", "孩子", "父母", "老人", "我妈"),
    "frontdesk": ("front desk", "front-desk", "reception", "receptionist", "前台"),
    "arrive": ("arrived", "arrival", "arrivals", "到诊", "已到", "签到"),
    "confirm": ("confirmation", "confirm", "confirmed", "确认"),
    "visit": ("visit", "consultation", "consultations", "follow-up", "复诊", "就诊", "看病", "门诊", "初诊"),
    "specialty": ("specialty", "speciality", "department", "科室", "专业", "专科"),
    "photo": ("photo", "photos", "picture", "image", "照片", "图片", "头像"),
    # -- messages
    "sms": ("sms", "text message", "text messages", "texts", "短信", "信息"),
    "remind": ("reminder", "reminders", "remind", "提醒"),
    "notify": ("notify", "notification", "notifications", "notice", "inform", "informed", "通知", "告知"),
    "email": ("email", "e-mail", "mail", "邮件", "邮箱", "电子邮件"),
    "language": ("language", "english", "chinese", "语言", "英文", "中文", "英语", "简体"),
    "map": ("map", "map link", "address", "地图", "地址", "导航"),
    "link": ("link", "url", "链接", "网址"),
    "log": ("log", "delivery log", "record", "records", "history", "记录", "日志"),
    "deliver": ("delivered", "delivery", "送达", "到达"),
    "fail": ("fail", "failed", "failure", "失败"),
    # -- accounts and security
    "account": ("account", "accounts", "register", "registration", "sign up", "账户", "账号", "帐号", "注册"),
    "password": ("password", "passwords", "pasword", "passwort", "pin", "密码", "口令"),
    "login": ("log in", "login", "logon", "sign in", "登录", "登陆"),
    "code": ("verification code", "code", "otp", "验证码", "校验码"),
    "mobile": ("mobile", "mobile number", "phone number", "cell", "手机号", "手机号码", "号码"),
    "role": ("role", "roles", "permission", "permissions", "administrator", "admin", "access",
             "权限", "管理员", "角色", "管理页面"),
    "privacy": ("privacy", "personal data", "gdpr", "隐私", "个人信息", "个人资料"),
    "delete": ("delete", "deleted", "deletion", "remove", "removed", "注销", "删除", "删掉"),
    "security": ("security", "secure", "safe", "安全"),
    # -- data and reports
    "export": ("export", "exported", "csv", "导出", "下载"),
    "excel": ("excel", "spreadsheet", "表格"),
    "report": ("report", "reports", "statistics", "stats", "dashboard", "figures", "报表", "统计", "报告",
               "数据分析", "看板"),
    "backup": ("backup", "backups", "back-up", "备份"),
    "retention": ("retention", "kept", "keep", "stored", "store", "保存", "保留", "存储"),
    "anonymise": ("anonymise", "anonymised", "anonymize", "anonymized", "匿名", "匿名化"),
    "garbled": ("garbled", "gibberish", "mojibake", "乱码"),
    "print": ("print", "printed", "printing", "打印", "打出"),
    # -- performance and availability
    "speed": ("slow", "fast", "speed", "load", "loads", "loading", "response time", "seconds", "spins",
              "spinning", "慢", "很慢", "太慢", "卡", "卡顿", "速度", "加载", "转圈", "等半天"),
    "available": ("available", "availability", "down", "outage", "offline", "宕机", "挂了", "打不开", "上不去",
                  "无法访问", "访问不了"),
    "browser": ("browser", "chrome", "edge", "safari", "internet explorer", "ie11", "firefox", "浏览器"),
    "concurrent": ("concurrent", "simultaneous", "at the same time", "same moment", "同时", "并发"),
    "page": ("page", "website", "site", "web page", "screen", "页面", "网页", "网站", "首页", "界面"),
    # -- features the baseline may or may not have
    "payment": ("pay", "payment", "payments", "wechat pay", "alipay", "fee", "fees", "支付", "付款",
                "付费", "缴费", "交钱", "挂号费", "收费", "结算", "微信支付", "支付宝"),
    "invoice": ("invoice", "e-invoice", "e-invoices", "发票", "电子发票", "报销"),
    "insurance": ("insurance", "insurer", "医保", "保险", "医保卡"),
    "video": ("video", "video call", "telemedicine", "online consultation", "视频", "视频问诊", "远程问诊",
              "在线问诊"),
    "prescription": ("prescription", "prescriptions", "medical record", "emr", "处方", "病历", "电子病历"),
    "rating": ("rating", "rate", "review", "reviews", "stars", "feedback", "comment", "comments", "打分",
               "评价", "评分", "点评"),
    "questionnaire": ("questionnaire", "survey", "问卷", "调查", "表单"),
    "announcement": ("announcement", "announcements", "bulletin", "公告", "公告栏", "通告"),
    "inventory": ("inventory", "stock", "doses", "库存", "存货"),
    "vaccine": ("vaccine", "vaccination", "vaccines", "flu shot", "疫苗", "接种"),
    "result": ("test results", "lab", "lab results", "检查报告", "化验", "检验报告", "化验单"),
    "miniapp": ("mini program", "mini-program", "app", "mobile app", "小程序", "公众号"),
    "wechat": ("wechat", "weixin", "微信"),
    # messages through WeChat are another channel than the WeChat browser a requirement may name
    "wechatmsg": ("wechat message", "wechat messages", "wechat notification", "wechat notifications",
                  "via wechat", "by wechat", "through wechat", "on wechat", "微信消息", "微信通知", "微信提醒",
                  "公众号消息", "服务通知", "模板消息"),
    "finance": ("revenue", "income", "turnover", "收入", "营收", "营业额"),
    "loyalty": ("loyalty", "loyalty points", "membership", "积分", "会员"),
    "birthday": ("birthday", "greetings", "greeting", "生日", "祝福", "问候"),
    "broadcast": ("bulk sms", "mass sms", "send to all", "群发"),
    "upload": ("upload", "attach", "上传"),
    "display": ("tv", "display", "big screen", "大屏", "显示屏", "电视"),
    "push": ("push notification", "push notifications", "推送"),
    "package": ("package", "packages", "checkup", "health check", "体检", "套餐", "体检套餐"),
    "chat": ("chat", "chat box", "live chat", "chatbot", "instant message", "online consultation desk",
             "聊天", "在线客服", "在线咨询", "留言"),
    "certificate": ("sick note", "medical certificate", "doctor's note", "病假条", "请假条", "诊断证明"),
    "referral": ("referral", "referrals", "refer", "转诊", "转院"),
    "attendance": ("attendance", "timesheet", "clock in", "clock-in", "payroll", "salary", "考勤", "打卡", "工资"),
    "vitals": ("temperature", "blood pressure", "symptom", "symptoms", "allergy", "allergies", "体温",
               "血压", "症状", "过敏"),
    "recurring": ("recurring", "repeat booking", "recurring appointments", "每周固定", "疗程"),
    "wristband": ("sticker", "wristband", "贴纸", "腕带"),
    "qrcode": ("qr code", "qr", "scan code", "二维码", "扫码"),
    "kiosk": ("kiosk", "self-service terminal", "self check-in", "自助机", "自助终端", "自助签到"),
    "idcard": ("id card", "identity card", "passport number", "身份证", "身份证号"),
    "coupon": ("coupon", "coupons", "discount", "voucher", "优惠券", "优惠", "折扣", "代金券"),
    "refund": ("refund", "refunds", "退款", "退费"),
    "branch": ("branch", "branches", "second clinic", "new clinic", "分店", "分院", "连锁", "新诊所"),
    "import": ("import", "bulk import", "migrate", "migration", "导入", "批量导入", "迁移"),
    "api": ("api", "webhook", "接口", "数据接口"),
    "voice": ("voice", "phone robot", "ivr", "automatic call", "语音", "电话机器人", "自动外呼"),
    "accessibility": ("large font", "bigger font", "font size", "dark mode", "accessibility", "elderly mode",
                      "大字", "字体", "老年模式", "关怀模式", "无障碍"),
    "translation": ("translate", "translation", "japanese", "korean", "french", "german", "russian",
                    "日语", "韩语", "法语", "俄语", "翻译"),
    "consent": ("consent form", "signature", "e-signature", "sign online", "知情同意", "电子签名", "签字"),
    "pharmacy": ("pharmacy", "medicine", "medicines", "drug", "drugs", "药房", "药品", "取药", "配药"),
    "marketing": ("marketing", "promotion", "campaign", "newsletter", "营销", "推广", "活动通知"),
    # -- the customer's environment (not the product)
    "printer": ("printer", "printers", "toner", "paper jam", "jammed", "ink", "cartridge", "printer driver",
                "print driver", "label printer", "receipt printer", "打印机", "卡纸", "不出纸", "硒鼓",
                "墨盒", "驱动", "碳粉", "缺墨", "没墨", "打印纸"),
    "network": ("wifi", "wi-fi", "router", "modem", "network", "internet provider", "internet connection",
                "internet access", "no internet", "broadband", "firewall", "vpn", "proxy", "dns", "hotspot",
                "cable", "lan", "isp", "mobile data", "4g", "5g", "signal",
                "网络", "路由器", "网线", "断网", "上不了网", "宽带", "连不上", "信号", "流量", "光猫", "交换机",
                "防火墙", "代理", "热点", "网速", "没网", "掉线", "断线"),
    "computer": ("pc", "pcs", "computer", "computers", "desktop", "workstation", "电脑", "台式机"),
    "device": ("laptop", "notebook", "ipad", "tablet", "mac", "macbook", "imac", "keyboard", "mouse", "hard disk",
               "hard drive", "显示器", "键盘", "鼠标", "主机", "硬盘", "windows update", "windows login",
               "blue screen", "antivirus", "anti-virus", "virus", "malware", "trojan", "ransomware",
               "scanner", "barcode", "won't start", "won't boot", "won't turn on",
               "蓝屏", "开不了机", "杀毒", "病毒", "中毒", "木马", "安全卫士", "电脑管家", "扫描枪", "扫码枪",
               "平板", "死机", "笔记本", "重装系统"),
    "officeapp": ("outlook", "word document", "ms word", "microsoft word", "wps",
                  "apple numbers", "acrobat", "pdf reader", "foxmail", "dingtalk", "mail app", "email client",
                  "企业微信", "钉钉", "办公软件", "qq邮箱", "网易邮箱"),
    "carrier": ("carrier", "china unicom", "china mobile", "china telecom", "telecom", "telephone company",
                "mobile operator", "network operator", "phone company", "phone line", "landline", "roaming",
                "sim", "sim card", "运营商", "联通", "移动公司", "中国移动", "电信", "欠费", "停机", "电话线",
                "座机", "基站", "话费", "手机卡", "operator", "operators", "switchboard", "phone system", "总机",
                "分机", "打不进来"),
    # a patient or a member of staff changed or lost a phone: their number, not the product
    "ownphone": ("changed phones", "changed his phone", "changed her phone", "new phone", "lost her phone",
                 "lost his phone", "lost their phone", "old number", "换了手机", "换手机", "换了号码", "换了新号码",
                 "手机丢了", "旧号码", "老号码"),
    # software too old for what the requirements support
    "oldsoftware": ("windows xp", "xp", "vista", "win7", "windows 7", "outdated", "old version", "older version",
                    "版本太低", "版本过低", "老版本", "旧版本", "低版本"),
    "account3p": ("aliyun", "balance", "top up", "recharge", "domain name", "renewal", "余额", "充值", "域名",
                  "续费", "短信包"),
    # a patient's or the clinic's phone filtering or blocking messages, or an old handset
    "phonefilter": ("spam folder", "junk folder", "spam filter", "marked as spam",
                    "unknown senders", "do not disturb", "blocks unknown", "message filter", "feature phone",
                    "old phone", "flip phone", "骚扰拦截", "拦截", "垃圾短信", "垃圾箱", "骚扰短信", "手机管家",
                    "免打扰", "老年机", "老人机", "手机内存"),
    # third-party chat groups and their accounts
    "chatgroup": ("wechat group", "group chat", "qq group", "微信群", "群消息", "群聊", "qq群"),
    # the power, the building: nothing software can fix
    "power": ("power cut", "power outage", "power failure", "blackout", "electricity", "停电", "断电", "跳闸"),
    # what the user's own browser keeps: cache, add-ons, saved passwords
    "browserlocal": ("cache", "browser cache", "cookies", "cookie", "browser extension", "plugin", "plug-in", "add-on",
                     "ad blocker", "adblock", "autofill", "saved passwords", "save passwords", "browser settings",
                     "pop-up blocker", "browser update", "update chrome", "chrome update", "缓存", "清缓存", "插件",
                     "浏览器设置", "自动填充", "兼容模式", "浏览器升级", "浏览器更新"),
    # browsers no requirement supports: the customer's choice of tool
    "otherbrowser": ("qq browser", "uc browser", "360 browser", "sogou browser", "opera", "qq", "uc",
                     "搜狗浏览器", "夸克浏览器", "猎豹浏览器"),
}

# How reasons name the concepts of the customer's environment.
ENVIRONMENT_LABELS: dict[str, str] = {
    "printer": "printer", "network": "network", "device": "devices", "computer": "PCs", "officeapp": "office software",
    "carrier": "phone carrier", "account3p": "a third-party account", "phonefilter": "phones filtering messages",
    "power": "power supply", "browserlocal": "the browser's own settings", "chatgroup": "chat groups",
    "otherbrowser": "a browser no requirement supports", "ownphone": "their own phone or number",
    "oldsoftware": "software older than what is supported",
}

# Cue phrases: (surface form, weight). Surface forms are English (stemmed like
# text, matched as whole-word sequences) or Chinese (substrings).
DEFECT_CUES: tuple[tuple[str, float], ...] = (
    ("doesn't work", 2.0), ("does not work", 2.0), ("not working", 2.0), ("isn't working", 2.0),
    ("stopped working", 2.0), ("don't work", 2.0), ("didn't work", 1.5), ("broken", 1.5),
    ("crash", 1.5), ("crashes", 1.5), ("error", 1.2), ("blank page", 1.8), ("white screen", 1.8),
    ("does nothing", 2.0), ("nothing happens", 2.0), ("stuck", 1.5), ("spins", 1.2),
    ("never got", 1.8), ("did not get", 1.8), ("didn't get", 1.8), ("not received", 1.8),
    ("no longer", 1.5), ("any more", 1.2), ("anymore", 1.2), ("still", 0.8), ("again", 0.5),
    ("is gone", 1.5), ("missing", 1.2), ("wrong", 1.0), ("not acceptable", 1.0),
    ("how is that possible", 2.0), ("how is this possible", 2.0), ("even possible", 1.5), ("should not have access", 1.5), ("should not be able", 1.5), ("on any network", 2.5), ("any browser", 1.5), ("every phone", 1.5), ("nothing for", 1.0),
    ("should never", 1.5), ("supposed to", 1.8), ("we agreed", 2.2), ("agreed on", 2.0),
    ("the agreement", 2.0), ("contract says", 2.2), ("the contract", 1.0), ("according to the contract", 2.2),
    ("both", 0.4), ("instead of telling", 1.0),
    ("is not working", 2.0), ("are not", 0.3), ("never", 0.8), ("down", 1.0), ("nobody could", 1.5), ("fails", 1.5), ("failed", 0.8), ("garbled", 1.5), ("urgent", 0.6),
    ("since yesterday", 1.2), ("since this morning", 1.2), ("since the update", 1.5), ("since your update", 1.5),
    ("security problem", 1.0), ("privacy problem", 1.5), ("too slow", 1.2), ("slow", 0.8),
    ("没收到", 2.0), ("收不到", 1.8), ("没有收到", 2.0), ("不显示", 1.8), ("显示不了", 1.8), ("不能用", 1.8),
    ("用不了", 1.8), ("坏了", 2.0), ("出错", 1.8), ("报错", 2.0), ("提示错误", 2.0), ("错误", 1.0),
    ("白屏", 2.0), ("卡住", 1.5), ("乱码", 1.8), ("不对", 1.2), ("不是说", 2.2), ("说好的", 2.0),
    ("合同里", 1.8), ("合同上", 1.8), ("按要求", 2.0), ("怎么回事", 2.0), ("没起作用", 2.2),
    ("不起作用", 2.2), ("没反应", 2.0), ("没有反应", 2.0),
    ("没有锁", 1.8), ("没锁", 1.8), ("打不开", 1.2), ("太慢", 1.2), ("很慢", 1.0),
    ("没发出去", 2.2), ("没发", 1.5), ("发不到", 2.0),
    ("两个号", 0.8), ("好像坏了", 2.0),
    ("好像没", 1.2), ("不显示了", 2.0), ("没有增加", 1.8), ("也没有", 0.8),
    ("还能", 1.0), ("影响工作", 0.8), ("严重", 0.8), ("才出来", 1.2),
    ("都没来", 0.5), ("故障", 1.5), ("不正常", 1.8), ("异常", 1.5),
    # general failure words
    ("disappeared", 1.5), ("vanished", 1.5), ("got lost", 1.2), ("is empty", 1.2), ("comes out empty", 1.8),
    ("blank", 1.0), ("froze", 1.5), ("freezes", 1.5), ("frozen", 1.2), ("hangs", 1.2), ("timed out", 1.5),
    ("times out", 1.5), ("timeout", 1.2), ("won't load", 1.8), ("doesn't load", 1.8), ("does not load", 1.8),
    ("not loading", 1.8), ("doesn't show", 1.5), ("does not show", 1.5), ("not showing", 1.5),
    ("isn't showing", 1.5), ("doesn't appear", 1.5), ("does not appear", 1.5), ("not shown", 1.2),
    ("unable to", 1.2), ("not able to", 1.0), ("could not", 0.8), ("couldn't", 0.8), ("can't", 0.6),
    ("cannot", 0.6), ("keeps saying", 1.2), ("error message", 1.5), ("incorrect", 1.2), ("duplicate", 1.2),
    ("twice", 0.8), ("no warning", 1.5), ("without any warning", 1.5), ("without warning", 1.2),
    ("ignored", 1.2), ("skipped", 1.0), ("never arrived", 1.8), ("didn't arrive", 1.8),
    ("did not arrive", 1.8), ("hasn't arrived", 1.8), ("not sent", 1.5), ("wasn't sent", 1.5),
    ("weren't sent", 1.5), ("not delivered", 1.5), ("arrived late", 1.5), ("came late", 1.5), ("delayed", 1.2),
    ("out of sync", 1.5), ("mixed up", 1.2), ("overwritten", 1.5), ("overwrote", 1.5), ("glitch", 1.2),
    ("used to work", 2.0), ("worked before", 2.0), ("was working", 1.5), ("it used to", 1.2),
    ("locked out", 1.0), ("went through", 0.6), ("any longer", 1.2), ("still shows", 1.2),
    # normative statements: the customer quotes the rule the delivered system breaks
    ("should not", 1.2), ("shouldn't", 1.2), ("should not be possible", 1.8), ("is not allowed", 1.2),
    ("isn't allowed", 1.2), ("not allowed to", 1.0), ("was supposed to", 1.8), ("wasn't supposed to", 1.8),
    ("the rule is", 1.2), ("the rule was", 1.5), ("i thought the", 1.2), ("thought it was", 1.0),
    ("as agreed", 2.0), ("the spec", 1.2), ("the requirement", 1.0), ("the specification", 1.5),
    ("消失", 1.5), ("不见了", 1.5), ("丢了", 1.0), ("没了", 1.0), ("空白", 1.5), ("空的", 1.2), ("卡死", 1.8),
    ("超时", 1.5), ("加载不出来", 2.0), ("进不去", 1.8), ("登不上", 1.8), ("没有提示", 1.5), ("没提示", 1.5),
    ("没有警告", 1.5), ("重复", 1.0), ("不准", 1.2), ("错了", 1.0), ("不一致", 1.5), ("对不上", 1.5),
    ("失效", 1.5), ("没生效", 2.0), ("不生效", 2.0), ("延迟", 1.2), ("迟迟", 1.2), ("一直没", 1.2),
    ("还是原来", 1.2), ("还是显示", 1.2), ("仍然", 0.6), ("依然", 0.6), ("照样", 1.0), ("以前是好的", 2.0),
    ("之前是好的", 2.0), ("之前都好好的", 2.0), ("原来是好的", 2.0), ("以前没有这个问题", 2.0),
    ("不应该", 1.5), ("不该", 1.2), ("不符合", 1.8), ("按理说", 1.5), ("按合同", 2.0), ("约定的", 1.5),
    ("规定的", 1.2), ("需求里", 1.8), ("需求文档", 1.8),
    ("the problem is", 1.0), ("问题是", 0.8), ("转圈", 1.2),
    ("doesn't contain", 1.5), ("does not contain", 1.5), ("doesn't include", 1.5), ("does not include", 1.5),
    ("is not included", 1.5), ("里没有", 1.2), ("上没有", 1.0), ("不包含", 1.5), ("没有包含", 1.5), ("少了", 1.2),
    # asking whether what happened is right: doubting the delivered behaviour
    ("is that right", 1.2), ("is this right", 1.2), ("is that normal", 1.2), ("is it normal", 1.2),
    ("is this normal", 1.2), ("is that correct", 1.2), ("why does", 1.5), ("why did", 1.5), ("why is", 1.0),
    ("why are", 1.0), ("正常吗", 1.2), ("对吗", 1.0), ("对不对", 1.0), ("为什么", 1.2), ("怎么会", 1.5),
    # asking to find out why something went wrong presupposes that it did
    ("check why", 1.5), ("find out why", 1.5), ("look into why", 1.5), ("see why", 1.2),
    ("看看为什么", 1.5), ("查一下为什么", 1.5), ("查查为什么", 1.5),
    ("nothing went out", 1.8), ("no sms", 1.2), ("no reminder", 1.2), ("no confirmation", 1.2),
    ("no text", 1.0), ("no message", 1.0), ("no messages", 1.0), ("got two", 1.0),
    ("收到两条", 1.5), ("两条", 0.6), ("还是可以", 1.2), ("还是能", 1.2), ("变成了", 1.0),
    ("unavailable", 1.5), ("not available", 1.2), ("service unavailable", 2.0), ("502", 1.5), ("503", 1.5),
    ("500 error", 1.8), ("server error", 1.8), ("服务器错误", 1.8), ("服务不可用", 2.0), ("系统繁忙", 1.5),
)

CHANGE_CUES: tuple[tuple[str, float], ...] = (
    ("instead of", 1.2), ("change it", 1.8), ("change to", 1.8), ("please change", 2.0),
    ("change the", 1.5), ("make it", 1.8), ("increase", 1.5), ("reduce", 1.5), ("raise the", 1.5),
    ("lower the", 1.5), ("extend", 1.5), ("longer", 1.0), ("shorter", 1.2), ("too strict", 2.0),
    ("too long", 2.0), ("too short", 2.0), ("too much", 1.5), ("too harsh", 2.0), ("too aggressive", 2.0),
    ("too fast", 1.5), ("too early", 1.5), ("too late", 1.5), ("not enough", 1.8), ("is not enough", 1.8),
    ("allow", 1.0), ("should be allowed", 1.5), ("should default", 2.0), ("should also", 1.5), ("by default", 1.2), ("would prefer", 1.5), ("we'd prefer", 1.5), ("should be able", 1.2),
    ("more than", 0.8), ("from next month", 1.5),
    ("just a setting", 1.5), ("only", 0.6), ("why can", 1.0), ("anytime", 1.0),
    ("even within", 1.2), ("the limit", 0.8),
    ("don't want", 1.5), ("do not want", 1.5), ("without the", 1.0),
    ("soften", 1.5), ("relax the", 1.5), ("loosen", 1.5), ("less strict", 1.8), ("stricter", 1.5), ("tighten", 1.5),
    ("宽松", 1.5), ("放松", 1.2), ("严一点", 1.5), ("松一点", 1.5), ("leave out", 1.5), ("left out", 1.5),
    ("take out", 1.2), ("remove the", 1.2), ("drop the", 1.2), ("get rid of", 1.5), ("instead", 0.8),
    ("turn off", 1.5), ("switch off", 1.5), ("disable", 1.5), ("关掉", 1.5), ("关闭", 1.2),
    ("please make", 1.5), ("don't need", 1.5), ("do not need", 1.5), ("no longer need", 1.8), ("不需要", 1.5),
    ("不用再", 1.2), ("please update", 1.8), ("update the text", 1.8), ("update the", 1.0), ("new name", 1.0), ("new address", 1.0),
    ("new phone number", 1.0), ("we moved", 1.0), ("rename", 1.5), ("reword", 1.8),
    ("更新一下", 1.5), ("新名字", 1.0), ("新地址", 1.0), ("搬到", 1.0), ("改名", 1.5), ("措辞", 1.2), ("文字改", 1.5),
    ("改成", 2.2), ("改为", 2.2), ("改一下", 2.0), ("能不能改", 2.2), ("调整", 1.5), ("延长", 1.8),
    ("缩短", 1.8), ("放宽", 2.0), ("放开", 1.8), ("太长", 2.0), ("太短", 2.0), ("太少", 2.0), ("太多", 1.0),
    ("太严", 2.0), ("太狠", 2.0), ("太早", 2.0), ("太晚", 1.8), ("不够", 1.8), ("不要", 1.5), ("去掉", 1.8),
    ("从下个月", 1.5), ("默认", 1.2), ("只能", 1.2), ("不想", 1.5), ("就行", 0.8), ("吧", 0.4),
)

NEW_SCOPE_CUES: tuple[tuple[str, float], ...] = (
    ("add", 1.5), ("could you add", 2.0), ("can you add", 2.0), ("please add", 2.0), ("new feature", 2.5),
    ("feature", 1.0), ("would be great", 1.5), ("would be nice", 1.5),
    ("would like", 1.0), ("we want", 1.0), ("we need", 0.8), ("we'd like", 1.0), ("can the system", 1.5),
    ("could patients", 1.2), ("integrate", 2.0), ("integration", 2.0), ("module", 2.0),
    ("other clinics", 1.5), ("other clinic", 1.5), ("other systems", 1.2),
    ("can we get", 1.2), ("be able to", 0.5), ("whole website", 1.5),
    ("加一个", 2.2), ("增加", 1.5), ("新增", 2.0), ("加上", 1.8), ("能加", 1.8), ("加个", 2.0),
    ("新功能", 2.5), ("功能", 1.0), ("希望", 0.8), ("想要", 1.2), ("想加", 2.0), ("能不能做", 1.8),
    ("做一个", 1.8), ("做个", 1.8), ("对接", 2.0), ("别的诊所", 1.5), ("都有", 0.8), ("开通", 1.5), ("能不能让", 1.0), ("能不能给", 1.0), ("自动", 1.0), ("automatically", 1.0), ("能不能对接", 2.0), ("可以增加", 2.0),
)

OUT_OF_SCOPE_CUES: tuple[tuple[str, float], ...] = (
    ("how do i", 2.5), ("how to", 2.2), ("how can i", 2.2), ("how can a", 1.8), ("where can i", 2.5),
    ("where is", 1.2), ("is there a button", 2.5), ("forgot", 1.2), ("can't find the menu", 2.0), ("top it up", 2.5), ("also from word", 2.5),
    ("not only the", 1.0), ("either", 1.0), ("not just your", 2.0), ("any file", 1.5), ("也不行", 1.5), ("都不行", 1.5), ("our internet", 2.0),
    ("如何", 2.0), ("在哪里", 2.2), ("在哪个", 2.2), ("在哪", 1.8), ("找不到", 1.0), ("帮忙充值", 2.5), ("培训一下", 2.0), ("用自己的流量", 2.5), ("用流量", 2.0),
    ("要去哪里", 2.0), ("去哪里点", 2.5), ("帮忙看一下", 1.0), ("装不上", 1.5),
    # how-to questions, however phrased
    ("how do we", 2.5), ("how do you", 1.5), ("how should i", 2.2), ("how should we", 2.2), ("how can we", 2.0),
    ("how can she", 1.8), ("how can he", 1.8), ("how can they", 1.5), ("how does one", 2.2),
    ("where do i", 2.5), ("where do we", 2.5), ("where can we", 2.5), ("where are the", 1.2), ("where's the", 1.5),
    ("where to find", 2.5), ("where to", 1.5), ("show me how", 2.5), ("show us how", 2.5), ("tell me how", 2.5),
    ("tell us how", 2.5), ("explain how", 2.5), ("walk me through", 2.5), ("walk us through", 2.5),
    ("what should she do", 2.0), ("what should he do", 2.0), ("what should i do", 2.0), ("what should we do", 1.5),
    ("what do i do", 2.0), ("what do we do", 1.5), ("which menu", 2.5), ("which button", 2.5),
    ("which page", 1.8), ("which setting", 2.2), ("is there a setting", 2.0), ("user manual", 2.0),
    ("manual", 1.2), ("instructions", 1.5), ("step by step", 1.5), ("tutorial", 2.0), ("training", 1.5),
    ("don't know how", 2.5), ("do not know how", 2.5), ("doesn't know how", 2.5), ("does not know how", 2.5),
    ("not sure how", 2.0), ("can't figure out", 2.0), ("cannot figure out", 2.0), ("forgot how", 2.5),
    ("remind me how", 2.5), ("can't find", 1.2), ("cannot find", 1.2), ("couldn't find", 1.2),
    ("在哪儿", 2.2), ("哪里可以", 2.2), ("在什么地方", 2.2), ("哪个菜单", 2.5), ("哪个按钮", 2.5),
    ("哪个页面", 2.0), ("入口", 1.5), ("教一下", 2.5), ("教教", 2.5), ("教我", 2.5), ("操作手册", 2.5),
    ("使用手册", 2.5), ("说明书", 2.0), ("使用说明", 2.2), ("操作说明", 2.2), ("不会用", 2.2), ("不会操作", 2.5),
    ("不知道怎么", 2.5), ("不知道在哪", 2.5), ("不知道如何", 2.5), ("演示一下", 2.2), ("请教", 2.0),
    ("忘了怎么", 2.5), ("培训", 1.5), ("忘记", 1.2), ("忘了", 1.0), ("不太会", 2.0), ("不熟悉", 1.5), ("不太懂", 1.5),
    # help with the customer's own set-up
    ("buy a new", 1.5), ("purchase", 1.0), ("帮忙买", 2.0), ("买一个", 1.5), ("换一个新的", 1.5),
    ("any tips", 2.0), ("any advice", 1.5), ("tips", 1.0),
    # the user's own slip
    ("by mistake", 1.5), ("mistyped", 1.8), ("typo", 1.5), ("entered the wrong", 1.5), ("typed the wrong", 1.5),
    ("typed her", 0.8), ("typed his", 0.8), ("填错", 1.5), ("写错", 1.5), ("不小心", 1.5), ("误操作", 2.0), ("点错", 1.8),
    ("help me set up", 2.0), ("help us set up", 2.0), ("set up", 0.6), ("install", 1.0), ("reinstall", 1.5),
    ("安装", 1.0), ("重装", 1.5), ("帮忙设置", 1.5), ("帮我设置", 1.5),
)

# Wishes that say neither "add" nor "change": whether they ask for new scope or a change
# depends on how much of the request the best-matching accepted requirement already covers.
WISH_CUES: tuple[tuple[str, float], ...] = (
    ("would be good", 1.5), ("would be helpful", 1.5), ("would be useful", 1.5), ("would help", 1.0),
    ("would be better", 1.5), ("it'd be nice", 1.5), ("it'd be great", 1.5), ("would love", 1.5),
    ("we'd love", 1.5), ("i wish", 1.5), ("we wish", 1.5), ("if only", 1.2), ("is it possible", 1.5),
    ("would it be possible", 1.5), ("is there any chance", 1.5), ("any chance", 1.2), ("possible to have", 1.5),
    ("can we have", 1.5), ("could we have", 1.5), ("could we get", 1.5), ("can you make", 1.2),
    ("could you make", 1.2), ("we also need", 1.5), ("also need", 1.2), ("we will need", 1.5), ("will need", 1.2),
    ("we'll need", 1.5), ("need a way", 1.5), ("a way to", 0.8), ("i'd like", 1.0), ("i would like", 1.0),
    ("we would like", 1.0), ("suggest", 1.2), ("suggestion", 1.2), ("propose", 1.2), ("going forward", 1.2),
    ("from now on", 1.2), ("in future", 1.0), ("in the future", 1.0), ("next version", 1.5), ("next phase", 1.5),
    ("phase 2", 1.5), ("keep asking for", 1.5), ("is that doable", 1.5), ("is it doable", 1.5), ("doable", 1.0),
    ("feasible", 1.2), ("需要系统", 1.2), ("要系统能", 1.2),
    ("rather than", 1.0), ("prefer", 1.2), ("better if", 1.2),
    ("要是能", 1.5), ("要是可以", 1.5), ("要是有", 1.5), ("如果能", 1.2), ("如果可以", 1.2), ("最好能", 1.5),
    ("最好有", 1.5), ("最好是", 1.2), ("最好", 1.0), ("还需要", 1.5), ("也需要", 1.2), ("需要一个", 1.5),
    ("需要有", 1.2), ("需要能", 1.2), ("希望能", 1.2), ("希望可以", 1.2), ("希望有", 1.5), ("想让", 1.2),
    ("想把", 1.2), ("我们想", 1.2), ("建议", 1.2), ("有没有可能", 1.5), ("是否可以", 1.2), ("是否能", 1.2),
    ("可以不可以", 1.5), ("行不行", 1.2), ("今后", 1.0), ("二期", 1.5), ("下一期", 1.5), ("就好了", 1.5),
    ("多好", 1.0), ("更方便", 0.8),
)

# Words that ask for something; a new concept without any ask is only mentioned.
ASK_CUES: tuple[str, ...] = (
    "please", "can you", "could you", "can we", "could we", "would like", "we'd like", "i'd like", "want",
    "need", "make it", "allow", "let them", "is it possible", "would be", "how about",
    "能不能", "能否", "可不可以", "可以", "请", "希望", "想", "要求", "麻烦", "改成", "改为", "加", "吧",
)

# The customer has ruled their own side out ("other websites work"): whatever it says of its
# network or PCs, the fault is not there.
OWN_SIDE_FINE: tuple[tuple[str, float], ...] = (
    ("other websites work", 1.5), ("other websites open", 1.5), ("other websites are fine", 1.5),
    ("other websites load", 1.5), ("other sites work", 1.5), ("other sites are fine", 1.5), ("other sites load", 1.5),
    ("everything else works", 1.5), ("the internet works", 1.5), ("internet is fine", 1.5),
    ("别的网站都能", 1.5), ("别的网站能", 1.5), ("其他网站都能", 1.5), ("其他网站能", 1.5), ("其他网站正常", 1.5),
    ("别的网站正常", 1.5), ("网络是好的", 1.5), ("网络正常", 1.5), ("网络没问题", 1.5), ("上网正常", 1.5),
    # it fails on every device and for the patients too: not one machine of theirs
    ("on every computer", 1.5), ("on all computers", 1.5), ("all the computers", 1.5), ("every pc", 1.5),
    ("all pcs", 1.5), ("at home too", 1.5), ("from home too", 1.5), ("patients too", 1.2), ("所有电脑", 1.5),
    ("每台电脑", 1.5), ("几台电脑都", 1.5), ("电脑都一样", 1.5), ("家里也", 1.2), ("病人在网上也", 1.5),
    # they changed nothing
    ("nothing was changed", 1.5), ("we didn't change", 1.5), ("we did not change", 1.5), ("we changed nothing", 1.5),
    ("我们没改", 1.5), ("我们没有改", 1.5), ("没有动过", 1.5), ("没动过", 1.5),
)

# Words that name a found cause ("it turned out", 原来是): beside the customer's environment, they
# say the cause lies there.
CAUSE_FOUND: tuple[str, ...] = (
    "turned out", "it turns out", "caused by", "because of", "due to", "the reason is", "found out",
    "发现是", "原来是", "是因为", "由于", "原因是", "导致",
)

# Cues of a message that only points elsewhere or asks for contact: it says too little to classify.
VAGUE_CUES: tuple[tuple[str, float], ...] = (
    ("previous email", 2.0), ("my last email", 2.0), ("see attached", 2.0), ("attached screenshot", 2.0),
    ("call me", 1.5), ("any update", 2.0), ("let's discuss", 2.0), ("talk about", 1.5), ("discuss", 1.0),
    ("not sure if", 2.0), ("not sure whether", 2.0), ("不确定", 1.5), ("说不上来", 2.0), ("quick call", 2.0),
    ("联系我", 1.5), ("回个电话", 1.5), ("具体的", 1.0), ("再说", 1.5), ("有进展吗", 2.0), ("怎么样了", 2.0),
    ("call me back", 2.0), ("give me a call", 2.0), ("get back to me", 1.5), ("when you have time", 1.5),
    ("when you have a minute", 1.5), ("sit down", 1.5), ("come by", 1.5), ("come over", 1.5),
    ("as discussed", 1.5), ("we discussed", 1.5), ("we talked about", 1.5), ("following up", 1.5),
    ("follow up on", 1.5), ("see below", 1.5), ("see attachment", 2.0), ("in the attachment", 2.0),
    ("what we expected", 1.5), ("not happy", 1.0), ("unhappy", 1.0), ("same problem", 1.0),
    ("same issue", 1.0), ("that issue", 1.0), ("some issues", 1.2), ("some problems", 1.2),
    ("回头", 1.5), ("细聊", 2.0), ("聊聊", 1.5), ("面谈", 2.0), ("见面", 1.5), ("过来一趟", 1.5), ("来一趟", 1.5),
    ("当面", 1.5), ("开会", 1.2), ("整理一下", 1.5), ("回电", 1.5), ("有空", 1.2), ("方便的时候", 1.2),
    ("老问题", 1.5), ("那个问题", 1.5), ("那件事", 1.5), ("之前说的", 1.5), ("上次说的", 1.5), ("怎么说", 1.2),
    ("easier", 1.2), ("user-friendly", 1.2), ("user friendly", 1.2), ("好用", 1.0), ("to meet", 1.5), ("a meeting", 1.2), ("expected more", 1.2), ("quick question", 1.5), ("a question about", 1.2), ("when do you have", 1.5), ("when are you free", 1.5),
    ("five minutes", 1.0), ("有个问题", 1.5), ("见附件", 2.0), ("看附件", 2.0), ("截图", 1.0), ("几个问题", 1.2),
)

# Where a second, lesser ask begins: what follows weighs less than the main ask.
SECONDARY_MARKERS: tuple[str, ...] = (
    "would also be nice", "it would also be", "would also be great", "by the way", "btw", "while you're at it",
    "while you are at it", "p.s.", "ps:", "另外", "顺便", "还有一个", "还有个", "对了",
)

# Asking for a repair is asking for what was agreed: a defect's request, not a new wish.
REPAIR_CUES: tuple[tuple[str, float], ...] = (
    ("fix", 1.0), ("please fix", 1.2), ("please check", 0.8), ("fix it", 1.2), ("repair", 1.0), ("look into", 0.6), ("have a look", 0.6),
    ("修复", 1.2), ("修一下", 1.2), ("处理一下", 0.8), ("尽快处理", 1.0), ("马上处理", 1.0), ("赶紧处理", 1.0), ("解决", 0.6),
    # asking to find out why something went wrong
    ("investigate", 1.0), ("can you check", 0.8), ("could you check", 0.8), ("look at", 0.6), ("take a look", 0.6),
    ("查一下", 1.0), ("查查", 1.0), ("查一查", 1.0), ("排查", 1.2),
)
# Ask words that, beside a repair cue and nothing else, ask only for the repair.
POLITE_ASKS: frozenset[str] = frozenset({"please", "请", "麻烦", "need"})

# Cues that only tell how the customer frames it; reported, never decisive.
CLAIM_CUES: tuple[str, ...] = (
    "bug", "warranty", "after-sales", "after sales", "for free", "free of charge", "售后", "保修",
    "缺陷", "系统故障",
)

# Words that carry no subject (never count as novel or as matches).
STOPWORDS: frozenset[str] = frozenset(
    """a about above after again against all also am an and any are as at be because been before
    being below between both but by can could did do does doing down during each even every few for
    from further get gets got had has have having he her here hers him his how i if in into is it its
    just let me more most my no nor not now of off on once only or other our ours out over own same
    she should so some such than that the their them then there these they this those through to too
    under until up very was we were what when where which while who whom why will with would you your
    yours hi hello dear regards best thanks thank please pls plz asap ok okay yes yeah sure like really
    honestly lot lots many much one two three four five six seven eight nine ten us im i'm it's that's
    don't doesn't didn't can't won't isn't aren't wasn't we're we'd i'd you're they're there's li wei
    chen dr mrs mr ms wang fang zhou zhao huang liu wu xiao jing since today yesterday tomorrow morning
    afternoon evening week weeks day days month months hour hours minute minutes time times people
    thing things something someone anything way etc ve ll re s t d m
    """.split()
)

# Unit words -> (dimension, factor to the dimension's base unit).
# Time is counted in minutes, so that hours, days and weeks compare directly.
UNITS: dict[str, tuple[str, float]] = {
    "second": ("time", 1 / 60), "seconds": ("time", 1 / 60), "sec": ("time", 1 / 60), "secs": ("time", 1 / 60),
    "s": ("time", 1 / 60), "秒": ("time", 1 / 60), "秒钟": ("time", 1 / 60),
    "minute": ("time", 1), "minutes": ("time", 1), "min": ("time", 1), "mins": ("time", 1),
    "分钟": ("time", 1), "分": ("time", 1),
    "hour": ("time", 60), "hours": ("time", 60), "hr": ("time", 60), "hrs": ("time", 60), "h": ("time", 60),
    "小时": ("time", 60), "个小时": ("time", 60), "钟头": ("time", 60), "个钟头": ("time", 60),
    "day": ("time", 1440), "days": ("time", 1440), "天": ("time", 1440), "日": ("time", 1440),
    "week": ("time", 10080), "weeks": ("time", 10080), "周": ("time", 10080), "星期": ("time", 10080),
    "个星期": ("time", 10080), "礼拜": ("time", 10080), "个礼拜": ("time", 10080),
    "month": ("time", 43200), "months": ("time", 43200), "个月": ("time", 43200),
    "year": ("time", 525600), "years": ("time", 525600), "年": ("time", 525600),
    "%": ("percent", 1), "percent": ("percent", 1), "per cent": ("percent", 1),
    "character": ("characters", 1), "characters": ("characters", 1), "chars": ("characters", 1),
    "digit": ("characters", 1), "digits": ("characters", 1), "位": ("characters", 1), "个字符": ("characters", 1),
    "字符": ("characters", 1), "位数": ("characters", 1), "字": ("characters", 1),
    "times": ("times", 1), "attempts": ("times", 1), "tries": ("times", 1), "次": ("times", 1),
    "no-shows": ("times", 1),
    "yuan": ("money", 1), "rmb": ("money", 1), "元": ("money", 1), "块": ("money", 1), "块钱": ("money", 1),
    "appointments": ("count", 1), "appointment": ("count", 1), "members": ("count", 1), "member": ("count", 1),
    "users": ("count", 1), "user": ("count", 1), "patients": ("count", 1), "doctors": ("count", 1),
    "个": ("count", 1), "名": ("count", 1), "人": ("count", 1), "位医生": ("count", 1), "个号": ("count", 1),
    "segments": ("count", 1), "codes": ("count", 1), "rows": ("count", 1), "steps": ("count", 1),
    "sessions": ("count", 1), "kids": ("count", 1), "gb": ("size", 1024), "mb": ("size", 1),
}

# What a count counts; counts compare only when they count the same thing ("any": 个, 名).
COUNT_KINDS: dict[str, str] = {
    "appointments": "appointment", "appointment": "appointment", "个号": "appointment",
    "members": "member", "member": "member", "kids": "member",
    "个": "any", "名": "any", "人": "any",
}

# Words just before a number that say it was observed ("takes 10 seconds") or asked for ("make it 30").
REPORT_MARKERS: tuple[str, ...] = (
    "take", "takes", "took", "taking", "wait", "waited", "waiting", "typed", "goes up to", "go up to",
    "arrive", "arrives", "arrived", "come", "comes", "came", "appear", "appears", "appeared", "lasts", "lasted",
    "shows", "showed", "after", "ago", "within", "already", "was", "were", "got", "received",
    "等", "要等", "等了", "才", "错了", "输错", "已经", "用了", "花了", "结果",
)
ASK_MARKERS: tuple[str, ...] = (
    "make it", "change it to", "change to", "to", "instead", "allow", "raise", "increase", "reduce",
    "extend", "should", "would like", "let them", "at least", "up to", "keep",
    "改成", "改为", "放开到", "延长到", "缩短到", "保存", "能不能", "希望", "要", "最多", "至少",
)

# Words just before the signed number that call it a limit ("only 2 weeks", "最多只能 2 个"):
# the customer complains about the agreed rule itself, which asks to change it.
LIMIT_MARKERS: tuple[str, ...] = (
    "only", "just", "at most", "no more than", "not more than", "maximum", "max", "limited to",
    "只", "仅", "最多", "至多", "不超过",
)

# Words just before the signed number that ask to replace it ("instead of 24 hours", 而不是两周).
REPLACE_MARKERS: tuple[str, ...] = (
    "instead of", "rather than", "not", "而不是", "不是", "不要", "代替", "取代", "替代",
)

ENGLISH_NUMBERS: dict[str, float] = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20,
    "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "ninety": 90, "hundred": 100, "half": 0.5,
    "couple": 2, "several": 3,
}
ORDINALS: dict[str, float] = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "1st": 1, "2nd": 2,
    "3rd": 3, "4th": 4, "5th": 5, "6th": 6,
}
