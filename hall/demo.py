"""Demo data that looks like a real district hall and a street service point."""

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from hall.admin import services as auth
from hall.admin.models import Department, Hall
from hall.queue.models import Matter, Queue, Window, WindowQueue

PASSWORD = "demo123"
PRIORITY_CLASSES = ["elderly", "disabled", "military", "pregnant", "appointment"]
DEPARTMENTS = [
    ("samr", "区市场监督管理局", "Market Regulation Bureau"),
    ("hrss", "区人力资源和社会保障局", "Human Resources and Social Security Bureau"),
    ("hpf", "住房公积金管理中心", "Housing Provident Fund Centre"),
    ("psb", "公安分局户政科", "Public Security Household Registration"),
    ("realestate", "不动产登记中心", "Real Estate Registration Centre"),
    ("tax", "区税务局", "Taxation Bureau"),
    ("civil", "区民政局", "Civil Affairs Bureau"),
    ("medical", "区医疗保障局", "Medical Security Bureau"),
]
QUEUES = [
    ("A", "综合受理", "General intake", "intake"),
    ("B", "不动产登记", "Real estate", "specialised"),
    ("C", "社保医保", "Social & medical insurance", "specialised"),
    ("Z", "咨询服务", "Enquiries", "consultation"),
    ("Q", "统一出件", "Result pickup", "pickup"),
]
ID_CARD = "居民身份证原件 / resident ID card (original)"
# Words residents search by that are not in the matter's name (营业执照 finds the registrations).
KEYWORDS = {
    "samr-01": ["营业执照", "个体户", "开店"],
    "samr-02": ["营业执照", "开公司", "注册公司"],
    "samr-03": ["营业执照", "变更"],
    "samr-04": ["餐饮", "开饭店"],
    "tax-01": ["税务登记", "开公司"],
    "tax-02": ["发票"],
    "hrss-01": ["社保转移"],
    "hrss-02": ["社保", "灵活就业"],
    "hrss-03": ["失业金"],
    "hrss-04": ["退休", "养老金"],
    "medical-01": ["医保转移"],
    "medical-02": ["异地看病", "医保"],
    "hpf-01": ["公积金", "买房"],
    "hpf-02": ["公积金", "租房"],
    "hpf-03": ["公积金", "房贷"],
    "psb-02": ["落户", "户口"],
    "psb-03": ["身份证"],
    "re-01": ["房产证", "过户", "二手房"],
    "re-02": ["房产证", "抵押"],
    "re-03": ["房产证", "查档"],
    "civil-01": ["结婚", "离婚"],
    "civil-02": ["低保"],
    "pickup-01": ["取证", "拿证"],
}
# (code, name, name_en, category, category_en, department, queue, on-the-spot, days, documents)
MATTERS = [
    (
        "samr-01",
        "个体工商户设立登记",
        "Sole proprietorship registration",
        "企业开办",
        "Starting a business",
        "samr",
        "A",
        True,
        0,
        [
            ID_CARD,
            "经营场所使用证明 / proof of business premises",
            "个体工商户开业登记申请书 / application form",
        ],
    ),
    (
        "samr-02",
        "有限责任公司设立登记",
        "Limited company registration",
        "企业开办",
        "Starting a business",
        "samr",
        "A",
        False,
        3,
        [
            "公司登记(备案)申请书 / application form",
            "公司章程 / articles of association",
            "股东主体资格证明 / shareholders' identity",
            "住所使用证明 / proof of address",
        ],
    ),
    (
        "samr-03",
        "营业执照变更登记",
        "Business licence amendment",
        "企业开办",
        "Starting a business",
        "samr",
        "A",
        False,
        3,
        [
            "变更登记申请书 / amendment application",
            "营业执照正副本 / business licence",
            "股东会决议 / shareholders' resolution",
        ],
    ),
    (
        "samr-04",
        "食品经营许可",
        "Food business permit",
        "企业开办",
        "Starting a business",
        "samr",
        "A",
        False,
        10,
        [
            "食品经营许可申请书 / application form",
            "营业执照复印件 / copy of business licence",
            "经营场所平面图 / floor plan",
            "食品安全管理制度 / food safety rules",
        ],
    ),
    (
        "tax-01",
        "新办纳税人套餐",
        "New taxpayer package",
        "企业开办",
        "Starting a business",
        "tax",
        "A",
        True,
        0,
        ["营业执照 / business licence", ID_CARD, "银行账户信息 / bank account details"],
    ),
    (
        "tax-02",
        "发票申领",
        "Invoice application",
        "税务",
        "Taxation",
        "tax",
        "A",
        True,
        0,
        ["税务Ukey / tax key", "经办人身份证 / agent's ID card"],
    ),
    (
        "hrss-01",
        "社会保险关系转移",
        "Social insurance transfer",
        "社会保障",
        "Social security",
        "hrss",
        "C",
        False,
        15,
        [ID_CARD, "参保缴费凭证 / contribution record", "转移接续申请表 / transfer application"],
    ),
    (
        "hrss-02",
        "灵活就业人员参保登记",
        "Flexible employment insurance enrolment",
        "社会保障",
        "Social security",
        "hrss",
        "C",
        True,
        0,
        [ID_CARD, "户口簿 / household register"],
    ),
    (
        "hrss-03",
        "失业保险金申领",
        "Unemployment benefit claim",
        "社会保障",
        "Social security",
        "hrss",
        "C",
        False,
        5,
        [ID_CARD, "解除劳动合同证明 / proof of contract termination", "银行卡 / bank card"],
    ),
    (
        "hrss-04",
        "退休待遇核定",
        "Pension entitlement assessment",
        "社会保障",
        "Social security",
        "hrss",
        "C",
        False,
        20,
        [ID_CARD, "人事档案 / personnel file", "退休申请表 / retirement application"],
    ),
    (
        "medical-01",
        "医保关系转移接续",
        "Medical insurance transfer",
        "医疗保障",
        "Medical insurance",
        "medical",
        "C",
        False,
        15,
        [ID_CARD, "参保凭证 / insurance certificate"],
    ),
    (
        "medical-02",
        "异地就医备案",
        "Registration for treatment elsewhere",
        "医疗保障",
        "Medical insurance",
        "medical",
        "C",
        True,
        0,
        [ID_CARD, "异地就医备案表 / registration form"],
    ),
    (
        "hpf-01",
        "住房公积金提取(购房)",
        "Provident fund withdrawal (home purchase)",
        "住房公积金",
        "Housing provident fund",
        "hpf",
        "A",
        False,
        3,
        [
            ID_CARD,
            "购房合同 / purchase contract",
            "购房发票 / purchase invoice",
            "本人银行卡 / own bank card",
        ],
    ),
    (
        "hpf-02",
        "住房公积金提取(租房)",
        "Provident fund withdrawal (renting)",
        "住房公积金",
        "Housing provident fund",
        "hpf",
        "A",
        True,
        0,
        [ID_CARD, "无房证明 / proof of no property", "本人银行卡 / own bank card"],
    ),
    (
        "hpf-03",
        "公积金贷款申请",
        "Provident fund loan application",
        "住房公积金",
        "Housing provident fund",
        "hpf",
        "A",
        False,
        10,
        [
            ID_CARD,
            "婚姻状况证明 / marital status",
            "收入证明 / proof of income",
            "购房合同 / purchase contract",
        ],
    ),
    (
        "psb-01",
        "居住证办理",
        "Residence permit",
        "户籍证件",
        "Household & ID",
        "psb",
        "A",
        False,
        15,
        [ID_CARD, "居住登记凭证 / residence registration", "近期免冠照片 / recent photo"],
    ),
    (
        "psb-02",
        "户口迁入",
        "Household registration transfer in",
        "户籍证件",
        "Household & ID",
        "psb",
        "A",
        False,
        5,
        ["户口簿 / household register", ID_CARD, "准予迁入证明 / approval to move in"],
    ),
    (
        "psb-03",
        "居民身份证换领",
        "ID card renewal",
        "户籍证件",
        "Household & ID",
        "psb",
        "A",
        False,
        20,
        ["原居民身份证 / old ID card", "户口簿 / household register"],
    ),
    (
        "re-01",
        "不动产转移登记(二手房)",
        "Real estate transfer (resale)",
        "不动产",
        "Real estate",
        "realestate",
        "B",
        False,
        5,
        [
            "不动产权证书 / property certificate",
            "买卖合同 / sale contract",
            "完税凭证 / tax receipt",
            "双方身份证 / both parties' ID cards",
        ],
    ),
    (
        "re-02",
        "不动产抵押登记",
        "Mortgage registration",
        "不动产",
        "Real estate",
        "realestate",
        "B",
        False,
        3,
        [
            "不动产权证书 / property certificate",
            "抵押合同 / mortgage contract",
            "主债权合同 / loan contract",
        ],
    ),
    (
        "re-03",
        "不动产登记信息查询",
        "Real estate record search",
        "不动产",
        "Real estate",
        "realestate",
        "B",
        True,
        0,
        [ID_CARD, "查询申请书 / search application"],
    ),
    (
        "civil-01",
        "婚姻登记预约咨询",
        "Marriage registration enquiry",
        "民政",
        "Civil affairs",
        "civil",
        "Z",
        True,
        0,
        [ID_CARD, "户口簿 / household register"],
    ),
    (
        "civil-02",
        "最低生活保障申请",
        "Minimum living allowance",
        "民政",
        "Civil affairs",
        "civil",
        "A",
        False,
        30,
        [ID_CARD, "户口簿 / household register", "家庭收入证明 / household income statement"],
    ),
    ("zixun-01", "综合咨询", "General enquiries", "咨询", "Enquiries", None, "Z", True, 0, []),
    (
        "pickup-01",
        "办件结果领取",
        "Collect a result",
        "出件",
        "Pickup",
        None,
        "Q",
        True,
        0,
        ["受理回执 / intake receipt", ID_CARD],
    ),
]
# (number, name, queues in priority order)
WINDOWS = [
    ("1", "1号 综合受理", ["A", "Z"]),
    ("2", "2号 综合受理", ["A", "Z"]),
    ("3", "3号 综合受理", ["A", "Z"]),
    ("4", "4号 综合受理", ["A", "C"]),
    ("5", "5号 综合受理", ["A", "B"]),
    ("6", "6号 不动产", ["B", "A"]),
    ("7", "7号 不动产", ["B"]),
    ("8", "8号 社保医保", ["C", "A"]),
    ("9", "9号 社保医保", ["C"]),
    ("10", "10号 咨询", ["Z", "A"]),
    ("11", "11号 统一出件", ["Q"]),
    ("12", "12号 综合备用", ["A", "B", "C"]),
]
STREET_HOURS = {
    "default": [["08:30", "11:30"], ["13:30", "16:30"]],
}

LOGINS_TEXT = f"""演示账号 / demo logins (password 密码: {PASSWORD})
  窗口 window:   window1 … window12 (宽城区政务服务中心 kuancheng), street1 … street3 (xinfa)
  出件 pickup:   pickup
  后台 backoffice: bo-samr, bo-hrss, bo-hpf, bo-psb, bo-realestate, bo-tax, bo-civil, bo-medical
  管理 manager:  manager (kuancheng), manager-xinfa
  管理员 admin:  admin
演示设备令牌 / demo device tokens (demo only: replace with `hall device add`)
  kiosk kuancheng:   demo-kiosk-kuancheng
  kiosk xinfa:       demo-kiosk-xinfa
  display kuancheng: demo-display-kuancheng"""


def create(session: Session) -> str | None:
    """Create the demo halls once; return the text of the demo logins, or None if present."""
    if session.scalar(select(Hall).where(Hall.code == "kuancheng")):
        return None
    departments = {}
    for code, name, name_en in DEPARTMENTS:
        departments[code] = Department(code=code, name=name, name_en=name_en)
        session.add(departments[code])
    main = Hall(
        code="kuancheng",
        name="宽城区政务服务中心",
        name_en="Kuancheng District Service Centre",
        allow_phone_tickets=True,
        priority_classes=PRIORITY_CLASSES,
        notice="一窗受理 · 最多跑一次 | One window, at most one trip. 请留意叫号屏幕与语音提示。",
    )
    street = Hall(
        code="xinfa",
        name="新发街道便民服务中心",
        name_en="Xinfa Street Service Point",
        hours=STREET_HOURS,
        workdays_only=True,
        priority_classes=PRIORITY_CLASSES[:3],
        notice="工作日 8:30–11:30, 13:30–16:30 取号 | Tickets on working days only.",
    )
    session.add_all([main, street])
    session.flush()
    _build_hall(session, main, departments, QUEUES, MATTERS, WINDOWS, cap=None)
    street_queues = [q for q in QUEUES if q[0] in ("A", "Z", "Q")]
    street_matters = [
        m
        for m in MATTERS
        if m[0]
        in (
            "hrss-02",
            "medical-02",
            "hpf-02",
            "civil-02",
            "zixun-01",
            "pickup-01",
            "psb-01",
            "tax-02",
        )
    ]
    street_matters = [(*m[:6], "A" if m[6] in ("B", "C") else m[6], *m[7:]) for m in street_matters]
    street_windows = [
        ("1", "1号 综合受理", ["A", "Z"]),
        ("2", "2号 综合受理", ["A", "Z"]),
        ("3", "3号 出件咨询", ["Q", "Z"]),
    ]
    _build_hall(session, street, departments, street_queues, street_matters, street_windows, cap=30)

    # Every demo account shares one password: hash it once (scrypt is slow on purpose).
    hashed = generate_password_hash(PASSWORD)
    for n in range(1, 13):
        auth.add_staff(
            session,
            f"window{n}",
            PASSWORD,
            "window",
            name=_NAMES[n - 1],
            staff_no=f"KC{n:03d}",
            hall=main,
            password_hash=hashed,
        )
    for n in range(1, 4):
        auth.add_staff(
            session,
            f"street{n}",
            PASSWORD,
            "window",
            name=_NAMES[11 + n],
            staff_no=f"XF{n:03d}",
            hall=street,
            password_hash=hashed,
        )
    auth.add_staff(
        session,
        "pickup",
        PASSWORD,
        "pickup",
        name="出件岗",
        staff_no="KC100",
        hall=main,
        password_hash=hashed,
    )
    for code in departments:
        auth.add_staff(
            session,
            f"bo-{code}",
            PASSWORD,
            "backoffice",
            name=f"{departments[code].name}审批岗",
            department=departments[code],
            password_hash=hashed,
        )
    auth.add_staff(
        session, "manager", PASSWORD, "manager", name="大厅值班长", hall=main, password_hash=hashed
    )
    auth.add_staff(
        session,
        "manager-xinfa",
        PASSWORD,
        "manager",
        name="站点负责人",
        hall=street,
        password_hash=hashed,
    )
    auth.add_staff(session, "admin", PASSWORD, "admin", name="系统管理员", password_hash=hashed)
    auth.add_device(
        session,
        "kiosk",
        main,
        name="大厅取号机 1",
        token="demo-kiosk-kuancheng",
        printer_url="dummy://",
    )
    auth.add_device(
        session, "kiosk", street, name="取号机", token="demo-kiosk-xinfa", printer_url="dummy://"
    )
    auth.add_device(session, "display", main, name="大厅主屏", token="demo-display-kuancheng")
    return LOGINS_TEXT


_NAMES = [
    "王丽",
    "李强",
    "张敏",
    "刘洋",
    "陈静",
    "杨帆",
    "赵磊",
    "黄婷",
    "周杰",
    "吴芳",
    "徐明",
    "孙悦",
    "马超",
    "朱琳",
    "胡斌",
]


def _build_hall(session, hall, departments, queues, matters, windows, *, cap) -> None:
    by_code = {}
    for code, name, name_en, kind in queues:
        by_code[code] = Queue(
            hall_id=hall.id, code=code, prefix=code, name=name, name_en=name_en, kind=kind
        )
        session.add(by_code[code])
    session.flush()
    for code, name, name_en, category, category_en, dept, queue, spot, days, docs in matters:
        session.add(
            Matter(
                hall_id=hall.id,
                queue_id=by_code[queue].id,
                department_id=departments[dept].id if dept else None,
                code=code,
                name=name,
                name_en=name_en,
                category=category,
                category_en=category_en,
                keywords=KEYWORDS.get(code, []),
                on_the_spot=spot,
                time_limit_days=days,
                documents=docs,
                conditions=f"申请人具有完全民事行为能力,材料齐全、符合法定形式。/ The applicant has full "
                f"capacity and brings the complete documents listed below ({name_en}).",
                legal_basis="《优化营商环境条例》及相关法规 / Regulations on Optimising the Business "
                "Environment and related rules",
                fee="不收费 / free",
                version=1,
                changed_on=date(2026, 10, 8),
                daily_cap=cap,
                cap_warning=int(cap * 0.8) if cap else None,
            )
        )
    for number, name, served in windows:
        window = Window(hall_id=hall.id, number=number, name=name, name_en=f"Window {number}")
        window.links = [
            WindowQueue(queue_id=by_code[q].id, position=i)
            for i, q in enumerate(served)
            if q in by_code
        ]
        session.add(window)
    session.flush()
