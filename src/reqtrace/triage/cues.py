"""Closed-class cues of *kinds of asks*, in English and Chinese: no product's words.

Each list says how people report a failure, ask to alter something, ask for
something more, or ask how to do something; and a small general list names the
customer's own IT environment (their printer, their network, their password).
These are the same whatever the product is. What the product is comes only from
the baseline's text.
"""

from __future__ import annotations

import re

# A report of what happened: failure words, negated function, the expected-but-got pattern.
REPORT_EN = re.compile(
    r"\b(?:error(?:s|ed)?|fail(?:s|ed|ing|ure)?|crash(?:es|ed|ing)?|broken|breaks?|bug(?:gy|s)?|wrong(?:ly)?|incorrect(?:ly)?"
    r"|missing|stuck|freez(?:es|ing)|froze(?:n)?|hang(?:s|ing)?|hung|blank|timed? ?out|exception|lost|disappear(?:s|ed)?"
    r"|duplicat(?:e|ed|es)|twice|glitch(?:es)?|not working|stopped working|no longer|any ?more|nothing happens"
    r"|(?:does|did|do|is|was|are|were|has|have|had|could|can|will|would)(?:n't| not) (?:\w+ )?(?:work|load|open|show|appear|arrive|save"
    r"|send|print|update|respond|start|display|sync|come|go|get|let|allow|accept|count|calculate|match|find|see|receive|happen"
    r"|trigger|apply|close|connect|download|upload|change|refresh|reach|keep|block|reject|stop|include|exclude|round|reset)\w*"
    r"|can't|cannot|unable to|won't|isn't|wasn't|didn't|doesn't|never (?:got|get|arrive|arrived|came|shows?|showed|worked|received)"
    r"|expected\b.{0,80}\b(?:but|got|instead)|supposed to|should (?:have|be|show|not)\b.{0,60}\bbut\b|instead (?:it|we|they|i) (?:get|got|see|saw)"
    r"|keeps? (?:showing|failing|crashing|logging|sending)|again|since (?:yesterday|the (?:update|upgrade|release|last))"
    r"|suddenly|every time|randomly|sometimes|still (?:not|shows?|can|cannot|can't|get|gets|happens)|shows? (?:up )?as|turned out"
    # An indignant question about what happened is a complaint, not a question of how to do something:
    # "how can this happen?", "how is that even possible??", "how can the system give the same slot to
    # two people?", "how does anyone get to $180?" (English for 怎么回事; "how is it possible that … has no
    # …" tells a lack, and "how does this work?" asks how).
    r"|how (?:can|could) (?:this|that) (?:happen|be)|how (?:is|was) (?:this|that) (?:even |still )?(?:possible|allowed|acceptable|ok|okay)"
    r"|how (?:can|could|does|did) (?:anyone|anybody|(?:the|your) system) (?!work\b)\w+|how come)\b",
    re.IGNORECASE,
)
REPORT_ZH = re.compile(
    r"报错|错误|出错|失败|崩溃|闪退|卡死|卡住|白屏|黑屏|空白|不对|不正确|有误|异常|丢失|丢了|没了|不见了|重复|乱码|打不开|进不去|登不上"
    r"|点不了|用不了|收不到|看不到|找不到|显示不出|不显示|不生效|没生效|没反应|无反应|无法|失效|故障|问题还在|bug|(?<![能可])不能(?![吗呢])"
    r"|[\u4e00-\u9fff]{0,2}(?<![少受免大得])不了(?!解)|不进去|不出来|不上去|没有?(?:跳转|显示|更新|保存|生效|提示|通知|同步|删除|变化|发出|发送|记录|弹出|到账|出现|收到|算|扣)"
    r"|又|突然|每次|明明|居然|竟然|怎么回事|结果(?:还是|却|变成)|还是(?:不|没|显示|会)|一直(?:不|没|显示|提示|报|转)|变成了|多扣|少算|算错|扣错"
    r"|不是(?:说|应该|只能|要|规定)[^。！？?!]{0,24}[吗嘛]"
)
# An ask for what should be.
ASK_EN = re.compile(
    r"\b(?:please (?!fix|check|look|investigate|help|advise|let us know|confirm)|could you|can you|could we|can we|would it be possible|is it possible"
    r"|(?:we|i|they|customers?|users?|staff|everyone)(?: would| really| also| all| still)? (?:like|love|want|need|wish|prefer|hope|are asking for|keep asking for)"
    r"|we'd like|i'd like|it would be (?:nice|great|good|helpful|better|useful)|would be (?:nice|great|helpful|better|useful)|wish|hope (?:you|we|it)"
    r"|suggest|should be able to|make it|let(?:'s| us| them| me| users?)|allow(?:ing)?|option to|ability to|is there a way to|any chance|how about|would love"
    # A question opening with can or could asks, whoever it is about ("can approvals last 60 days?", "could
    # the app show the last 200 events?"), as 能…吗 and 可以…吗 do; "how can …" is not one.
    r"|(?:^|(?<=[,;:] ))(?:can|could) (?!you\b|we\b|i\b|someone\b|anyone\b)\w+(?=[^.?!]{0,80}\?)"
    # Someone's ask passed on: "the manager has asked us to …", "she asked us not to … any more".
    r"|(?:has|have|had) asked (?:us|you|me|them) (?:not )?to"
    # People who keep asking for something: "tenants keep asking to see more history" (not a failure;
    # "it keeps asking for the code" is the product prompting).
    r"|(?<!\bit )keeps? (?:asking|requesting|begging|telling us|pushing) (?:for|to|whether|if|about|us|me|when|why)"
    # Paid work asked for: "send an estimate", "please provide a proposal", "can you quote?".
    r"|(?:send|give|provide|prepare|need|want|like|get) (?:us |me )?(?:a |an |your )?(?:quote|quotation|estimate|cost estimate|proposal|offer|impact assessment)"
    r"|can you quote|(?:a|an) (?:quote|quotation|estimate|proposal) (?:for|and|of)|(?:how much|what) (?:would|will|does) (?:it|this|that) cost)\b",
    re.IGNORECASE,
)
ASK_ZH = re.compile(
    r"希望|能不能|能否|可不可以|可否|可以[^。！？?，,]{0,12}[吗么][？?]?|想要|想[让把加在能]|要求|建议|麻烦(?!了)|最好|就好了|就好啦|多好|行不行|好不好"
    r"|能[^。！？?，,]{1,12}[吗么][？?]|是否可以|有没有办法|请(?!问|假)"
)
# An ask to alter what exists.
ALTER_EN = re.compile(
    r"\b(?:change|changed to|switch(?:ed)? to|instead of|rather than|increase|decrease|extend|shorten|reduce|raise|lower|longer|shorter"
    r"|bigger|smaller|larger|fewer|more flexible|relax|loosen|tighten|adjust|move (?:it|the)|rename|replace|default to|only (?:allow|let)"
    r"|too (?:long|short|strict|many|few|often|slow|small|big|early|late)|not enough|limit(?:ed)? to|at least|up to|at most|no more than|make (?:it|the|them)\b.{0,30}\b(?:more|less|longer|shorter|bigger|smaller|optional|mandatory))\b"
    # The new value told beside the signed one: "should be 25 not 21", "needs to be X, not Y", "not X but Y".
    # Only the cue words are matched (the values between are what the request is about, not its kind).
    r"|\b(?:should|must|needs? to|has to|ought to) be\b(?=(?:(?!\bbut\b)[^.?!;,]){1,30},? not \w)|\bnot\b(?=[^.?!;,]{1,30},? but (?:rather |instead )?(?:to |at |every |from |for |\d))"
    # "go yellow at 5 days instead?": a trailing "instead" proposes the value just told.
    r"|\binstead(?=\s*(?:[?.!,;)]|$))"
    # "make it 30", "can it be 10?", "set it to 5", "can it go … at 5 days": a value asked of what exists.
    r"|\bmake (?:it|them|this|that)(?= \d)|(?<!how )\b(?:can|could|would) (?:it|this|that|they) (?:be|go|become|stay|start|happen|run)\b"
    r"|\bset (?:it|them|this|that) (?:to|at)\b|\b(?:be|been) (?:set|moved|bumped|dropped|cut|lowered|raised) to\b|\bflip\b|\bswap\b"
    # A rule that starts to hold from a later date: "from next month", "going forward".
    r"|\bfrom (?:now on|then on|next (?:week|month|year|quarter|release|version))\b|\bgoing forward\b"
    r"|\bfrom (?:the start of )?(?:next|the next) (?:term|semester|season|period|cycle|billing (?:period|cycle)|(?:school|financial|fiscal|tax|academic) year)\b"
    r"|\bfrom (?:january|february|march|april|june|july|august|september|october|november|december)\b"
    # The customer's own decision to run things otherwise: "the committee has decided that …".
    r"|\b(?:has|have|had) (?:now )?(?:decided|resolved)\b|\b(?:management|committee|board|leadership|director|we) (?:has |have )?(?:decided|resolved)\b"
    # Something shown today, asked to be taken away: "please drop the sender's name", "left out".
    r"|\b(?:left out|leave out|get rid of|take out)\b|\b(?:please|could you|can you|can we|could we|should|want to|like to|we'd like to|i'd like to) (?:\w+ )?(?:remove|drop|hide)\b",
    re.IGNORECASE,
)
ALTER_ZH = re.compile(r"改成|改为|改一下|换成|调整|延长|缩短|放宽|放开|提高|降低|加长|减少|增大|缩小|太长|太短|太严|太少|太多|太早|太晚|而不是|不要再|取消(?:掉)?这个|只能|最多|至少|默认"
                      r"|去掉|删掉|拿掉|省掉|不要显示")  # the last: something shown today, asked to be taken away
# An ask for something more.
ADD_EN = re.compile(
    r"\b(?:add(?:ed|ing)?|new|also|another|extra|additional|integrat(?:e|ion|ed)|support(?:s|ing)? for|connect(?:ion)? (?:to|with)"
    r"|export(?:ing)? to|import(?:ing)? from|feature|module|plugin|as well|too|as an option|in addition|on top|a way to)\b"
    # What everyone else offers: "every other bank has live chat" (not "all other PCs have no problem").
    r"|\b(?:every|all|most|many) other (?:\w+ ){0,2}(?:has|have|offers?|supports?)\b(?! (?:no|the same|this|that|it)\b)"
    # What the product lacks, told as a lack: "there is no way to …", "has no way to …", "there is nowhere in X to …".
    r"|\b(?:there (?:is|are|'s) (?:no (?:way|option|place|screen|setting|button|function|feature)|nowhere|nothing) (?:in \w+(?: \w+)? )?(?:to|for|that)"
    r"|(?:has|have|had|with) no (?:way|option|place|screen|setting|button|function|feature) (?:to|for)|no way (?:to|for))\b"
    r"|\b(?:this|that|it) (?:has|needs) to exist\b|\b(?:this|that|it) is (?:basic|standard|a basic|a standard)\b",
    re.IGNORECASE,
)
ADD_ZH = re.compile(r"新增|增加|添加|加个|加一个|加上|加一|多加|新功能|对接|集成|接入|支持|另外|还想|还需要|再加|额外|多一个|开通|新建|也能|也可以|顺便"
                    r"|(?:别的|其他|其它|人家|隔壁|同行)[^。！？,，?!]{0,10}(?:都有|早就有|都支持)")  # what everyone else offers
# An ask to repair what was agreed: it asks for nothing new.
REPAIR_EN = re.compile(r"\b(?:please (?:fix|check|look|investigate|help)|fix (?:it|this|the)|repair|look into|sort (?:it|this) out|as agreed|according to (?:the )?(?:spec|contract|requirement|agreement)|per (?:the )?(?:spec|contract)|warranty"
    # What was agreed or accepted, or how it was before: "we agreed on 14", "used to show the link".
    r"|we agreed|(?:was|is) (?:the|our) agreement|agreed (?:on|that|in)|at (?:the )?acceptance|used to (?:be|work|show|have|include|print|send))\b",
    re.IGNORECASE)
REPAIR_ZH = re.compile(r"修复|修一下|修好|处理一下|查一下|看看|看一下|排查|尽快|赶紧|合同|约定|说好|按要求|需求里|规定"
                       r"|验收(?:的)?(?:时候|时)|(?:之前|以前|原来|本来)(?:都|一直)?是(?:好的|正常|有的)")  # as accepted, as it was
# "不是说最多只能约两个吗" (wasn't it said that two at most?): the customer recalls the agreed rule to report
# that the product breaks it. The words inside quote the rule: they ask for nothing and alter nothing.
RECALLED_RULE = re.compile(r"不是(?:说|应该|只能|要|规定)[^。！？?!]{0,24}[吗嘛]")
# "在账户里把语言改成英文了,可是…" (switched the language to English, but…): a change someone already made
# tells what was done, and asks for nothing ("改成6位数字就行了", six digits would do, still asks).
CHANGE_MADE = re.compile(r"(?:改成|改为|换成)[^。！？,，?!]{0,12}?(?<!就行)(?<!就好)(?<!就可以)了")
# How do I …? A question about using what was delivered.
HOW_TO_EN = re.compile(
    r"\b(?:how (?:do|does|can|could|should|would|to|shall) (?:i|we|you|one|they|he|she|staff|users?)\b|where (?:do|can|could|should|is|are) (?:i|we|the|you)\b"
    r"|is there (?:a|an) (?:setting|option|button|way)\b|what (?:is|are) the steps|how do i|can someone (?:explain|show|tell)|who (?:do|should) (?:i|we) (?:call|contact|ask)"
    r"|what does .{1,40} mean|forgot (?:my|his|her|their|the) password|reset (?:my|his|her|their) password"
    r"|how (?!(?:can|could) (?:the|your) system\b)(?:do|does|can|should) (?:a|an|the|our|my|your|his|her|their) \w+(?: \w+)? (?!work\b|fail\b)\w+"
    r"|which (?:flag|option|setting|button|command|field|menu|parameter|key|switch|page|screen|tab) (?:do|should|can|must|would) (?:i|we|you)\b"
    r"|where\b[^.?!]{1,40}\b(?:do|can|should) (?:i|we)\b)",
    re.IGNORECASE,
)
HOW_TO_ZH = re.compile(r"怎么(?:操作|设置|用|弄|改|看|查|找|导|打|登|办|才能|开|关|做)|如何|怎样(?:才能|操作|设置)|在哪(?:里|儿)?(?:能|可以|设置|找|看|改|查)?|教一下|教教|是什么意思|什么意思|哪个按钮|忘记密码|密码忘了|忘了密码"
                       r"|(?:配|填|选|设|用)(?:哪个|哪些|什么)(?:字段|参数|选项|设置|按钮|菜单)?[?？]|哪个(?:字段|参数|选项|设置|菜单)|该怎么|要怎么")
# The customer's own IT environment and third parties: general, not of any product.
ENVIRONMENT = (
    ("printer", r"\bprinters?\b|\btoner\b|\bpaper jam|打印机|硒鼓|墨盒|卡纸"),
    ("network", r"\b(?:wi-?fi|router|network|internet|broadband|vpn|firewall|lan|modem|dns)\b|网络|断网|路由器|无线|宽带|网线|防火墙|信号"),
    ("antivirus", r"\b(?:anti-?virus|virus|malware|security software)\b|杀毒|病毒|安全软件|360"),
    ("their computer", r"\b(?:their|our|my|his|her) (?:own )?(?:pc|computer|laptop|desktop|mac|keyboard|mouse|monitor|screen|disk|hard drive)\b|\bdriver\b|\bwindows (?:update|10|11|7|xp)\b|电脑|笔记本|键盘|鼠标|显示器|驱动|硬盘|系统更新"),
    ("their phone", r"\b(?:their|our|my|his|her) (?:own )?(?:phone|iphone|android|mobile|tablet|ipad)\b|\bphone storage\b|\bbattery\b|手机内存|电池|手机没电|内存不足|手机系统"),
    ("power", r"\bpower (?:cut|outage|failure)|\bblackout\b|(?<![-\w])ups\b|停电|断电|跳闸"),
    ("carrier", r"\b(?:carrier|telecom|isp|mobile operator|phone company)\b|运营商|电信|联通|中国移动|移动公司"),
    ("mail and spam", r"\b(?:spam|junk)(?: folder| box| mail)?\b|\bmailbox (?:full|quota)|垃圾邮件|垃圾箱|邮箱满"),
    ("password", r"\bforgot(?:ten)? (?:my |his |her |their |the )?password|\bpassword (?:was )?forgotten|忘记密码|密码忘了|忘了密码"),
    ("other software", r"\b(?:excel|ms word|microsoft (?:word|office|edge)|outlook|wechat|whatsapp|chrome|firefox|safari|internet explorer|ie11|adobe|acrobat)\b|微信|浏览器|办公软件|表格软件"),
    # A developer's own build toolchain: the compiler, the build generator and how they are run. The
    # product's build is the signed platform when its requirements name these (a build tool's).
    ("their build toolchain", r"\btoolchains?\b|\bcmake\b|\b(?:gcc|g\+\+|clang|msvc|mingw|visual studio|xcode)\b|\bsudo\b"
     r"|\bbuild environment\b|\benvironment (?:is |was )?misconfigured\b|工具链|构建环境"),
    ("their server", r"\b(?:their|our|your|the hosting|the customer's) (?:own )?(?:server|hosting|data ?cent(?:er|re)|cloud account|database server)\b|\bhosting provider\b|服务器|机房|云服务器"),
    # Another program, document or device of theirs fails the same way: the cause is on their side.
    ("fails elsewhere too", r"\b(?:does(?:n't| not)|did(?:n't| not)|won't|can't|cannot|isn't|wasn't)\b[^.!?\n]{0,40}\beither\b(?=\s*(?:[.!?,;)]|$))"
     r"|\bsame (?:thing|problem|issue|error) (?:with|in|on) (?:other|another|every|all)\b"
     r"|(?:别的|其他|其它)[^。！？,，]{0,6}也(?:不|打不|用不|无法|没|一样)"),
    # A third party's service that refused the request or was down: its rate limit, its maintenance, its risk
    # control, a card it declined. The error is theirs even when the product shows it.
    ("a third party's service", r"\b(?:rate limit|too ?many ?requests|under maintenance|maintenance window|unauthori[sz]ed|forbidden"
     r"|insufficient[_ ]funds|card[_ ]declined|service unavailable|(?:their|the bank's|the provider's) (?:host|server|system|service|side)"
     r" (?:was |is |went )?(?:down|offline|unavailable))\b|维护中|系统维护|风控|限流"),
    ("third party", r"\bthird[- ]party\b|\bvendor\b|\bsupplier\b|\b(?:the|their|our) bank\b|\bgovernment (?:site|website|system)\b|第三方|银行那边|对方系统|外部系统|供应商"),
)
ENVIRONMENT_RE = tuple((name, re.compile(pattern, re.IGNORECASE)) for name, pattern in ENVIRONMENT)
# Around an environment word in a signed text: the requirement rules the thing out ("no special
# printer or driver is needed", "without a VPN", 无需打印机, 打印机不在交付范围内).
EXCLUDED_BEFORE = re.compile(
    r"(?:\b(?:no|not|without|never|nor|neither)\b|不需要|无需|无须|不用|不必|不含|不包括|不提供|不负责)[^.;:,。；：，]{0,30}$", re.IGNORECASE)
EXCLUDED_AFTER = re.compile(
    r"[^.;。；]{0,30}?\b(?:(?:is|are) )?not (?:needed|required|included|supplied|provided|part of)\b"
    r"|[^。；]{0,12}?(?:不需要|无需|不在(?:交付|合同|范围)|不包括|不含|除外|由客户|客户自备|自备)", re.IGNORECASE)
# "Other websites work", "it works on my colleague's machine": the customer's side ruled out.
OWN_SIDE_FINE = re.compile(
    r"\bother (?:sites|websites|apps|programs|computers|pcs|phones)\b.{0,30}\b(?:work|fine|ok)|\bworks? (?:fine|ok) (?:elsewhere|on other)"
    r"|别的(?:网站|软件|电脑|手机|系统)[^。！？]{0,8}(?:都能|正常|没问题|可以)|其他(?:网站|软件|电脑|手机)[^。！？]{0,8}(?:都能|正常|没问题|可以)|网络(?:是)?(?:好的|正常|没问题)",
    re.IGNORECASE,
)
# Just before a signed number: the customer calls it a limit ("only 14 days", 最多只能 2 个).
LIMIT_BEFORE = re.compile(r"(?:\bonly|\bjust|\bat most|\bno more than|\bmaximum|\bmax|\blimited to|只能|只|仅|最多|至多|不超过)\s*(?:\w+\s+)?$", re.IGNORECASE)
# Just before a number: it is asked for ("make it 30", 改成 30 天).
ASKED_BEFORE = re.compile(r"(?:\bto|\b(?:should|must|needs? to|has to|ought to|can it|could it) be|\bmake it|\bat least|\bup to|\ballow|\bextend(?:ed)? to|\bincrease(?:d)? to|\breduce(?:d)? to|\binstead|改成|改为|延长到|缩短到|放宽到|提高到|降低到|至少|希望|能不能|到)\s*$", re.IGNORECASE)
# Just before a number: it was seen ("took 10 seconds", 等了十几秒).
SEEN_BEFORE = re.compile(r"(?:\btook|\btakes|\bwaited|\bafter|\bago|\bgot|\breceived|\bshows?|\bshowed|\bcharged|\bcame|\barrived|\bwas|\bwere|等了|用了|花了|要等|才|结果|显示|扣了|收了|变成)\s*(?:\w+\s+)?$", re.IGNORECASE)
# "instead of 24 hours", 而不是两周: the signed number to be replaced.
REPLACE_BEFORE = re.compile(r"(?:\binstead of|\brather than|\bnot|\btoday|\bcurrently|\bat present|而不是|不是|不要|代替)\s*$", re.IGNORECASE)
QUESTION = re.compile(r"[?？]|吗\s*$|(?<![那这多怎什])么\s*$|(?:怎么|什么|哪|谁|为啥|多少|几|是不是|还是|有没有)[^。！？]*呢\s*$")
# A wish is told in the third person as often as in the first ("the director wants six weeks", "the
# system needs to cope with nine"); English inflects the verb where Chinese (想, 希望, 需要) does not.
MODAL_EN = re.compile(r"\b(?:would|could|should|please|wish(?:es)?|wants?|needs?|like|hopes?|if)\b", re.IGNORECASE)
MODAL_ZH = re.compile(r"希望|能不能|可不可以|最好|如果|要是|改成|改为|请|想|应该|需要")
PAST_EN = re.compile(r"\b(?:was|were|did|had|got|went|came|happened|yesterday|this morning|last (?:week|night|month)|earlier|just now|\w{3,}ed)\b", re.IGNORECASE)
PAST_ZH = re.compile(r"了|过|刚才|昨天|今天早上|上周|刚刚|之前")
# The customer's own slip: a wrong entry, a step skipped, something done by mistake.
USER_SLIP = re.compile(
    r"\b(?:typed|entered|keyed|picked|selected|clicked|uploaded) (?:the |a |an |it )?(?:\w+ ){0,3}(?:wrong|wrongly|by mistake|instead of)"
    r"|\bby mistake\b|\baccidentally\b|\bmy (?:fault|mistake|bad)\b|\bour (?:mistake|fault|colleague|staff|clerk|it (?:team|department))\b|\bhuman error\b|\bmistyped\b|\btypo\b"
    r"|打成了?|打错|按错|敲错|手滑|没(?:有)?看清|拼成了?|拼错|写错|输错|填错|选错|录错|点错|误操作|不小心|手误|我们自己|我们这边|我们 ?it|自己(?:加|改|设置|配置)",
    re.IGNORECASE,
)
# Something of the customer's that lapsed or was set up on their side: a token, a certificate, a licence.
LAPSED = re.compile(
    r"\b(?:token|certificate|cert|licen[cs]e|subscription|password|key|account|domain|contract)s? (?:has |had |was )?(?:expired|lapsed|revoked)\b"
    r"|\bexpired (?:token|certificate|cert|licen[cs]e|subscription|password|key)|\bquota (?:exceeded|full)|过期|到期|欠费|停机|证书|额度用完",
    re.IGNORECASE,
)
# "Is it on our side?", 是不是我们…: the customer asks whose the problem is.
WHOSE_QUESTION = re.compile(
    r"\b(?:is (?:it|this|that) (?:on )?(?:our|my|your) (?:side|end|fault|problem)|is it (?:us|you)|do we (?:have|need) to)\b"
    r"|是不是(?:我们|你们|系统|用户)|是我们[^。！？?]{0,12}吗|要我们自己|需要我们|谁的问题|哪边的问题",
    re.IGNORECASE,
)

# A headline that asks for something: "Add …", "Support …", "Feature request: …", 新增…
TITLE_ASK = re.compile(
    r"^\s*(?:\[?(?:feature(?: request)?|feat|enhancement|rfe|proposal)\]?\s*[:(\]-]"
    r"|(?:add|support|allow|enable|implement|provide|introduce|expose)\s)"
    r"|^\s*【?(?:需求|新功能|功能建议)】|^\s*(?:新增|增加|添加|支持)",
    re.IGNORECASE,
)
# The request says what the product shall or should do, the way a requirement is written ("`apply` shall
# return and show the state", "the report should include the version", 应该支持…), with no failure told
# beside it in the sentence ("should show X but shows Y" tells a failure). It tells what should be, so the
# request may ask for a change: read by the costly-mistake guard only (classify.decide), never a feature.
SHALL_DO = re.compile(
    r"\b(?:shall|should) (?!not\b|have\b|be (?:fixed|working)\b)(?:\w+ )?(?:return|show|print|display|include|support|allow"
    r"|accept|reject|be able|provide|offer|list|report|use|give|read|write|generate|produce|contain|start|stop|keep|create"
    r"|send)\b(?![^.!?\n]*\bbut\b)"
    r"|应该(?:能|可以|支持|显示|返回|提供)(?![^。！？\n]*(?:但|却|可是))",
    re.IGNORECASE,
)
# The customer says the delivered behaviour is what was specified: whatever else they ask, not a defect.
AS_SIGNED = re.compile(
    r"\b(?:works? (?:as (?:designed|intended|specified|documented)|correctly)|(?:is|are) working (?:correctly|as (?:designed|intended|specified))"
    r"|works? and match(?:es)?|(?<!not )(?<!n't )match(?:es)? (?:the )?(?:spec(?:ification)?|requirements?)\b"
    r"|(?<!not )(?<!n't )match(?:es)? [A-Z][A-Z0-9_]*[-_][0-9]+)"
    r"|符合(?:需求|规格|合同|约定)|按(?:需求|规格|合同)(?:工作|实现)",
    re.IGNORECASE,
)
