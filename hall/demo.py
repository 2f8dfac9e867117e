"""Demo data that looks like a real district hall and a street service point."""

from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from hall.admin import services as auth
from hall.admin.models import Department, Hall, Staff
from hall.cases.models import MatterDepartment, MatterGuide
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
# Cases: assisting departments (协办) beside the lead, matters allowing 容缺受理, on-the-spot
# matters whose result is made and collected later, and optional documents of a checklist.
ASSISTING = {
    "re-01": ["tax"],
    "hpf-03": ["realestate"],
    "civil-02": ["hrss"],
    "samr-04": ["medical"],
}
PARTIAL_ALLOWED = {"samr-02", "samr-03", "hpf-01", "re-01", "hrss-01", "psb-01"}
MADE_ON_THE_SPOT = {"samr-01", "re-03"}
OPTIONAL_DOCUMENT = "授权委托书(代办时提供) / power of attorney (when an agent applies)"
CORE_WORDS = ("身份证", "申请", "权证书", "合同", "营业执照", "户口簿", "档案", "章程")

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


DEMO_TOKENS = ("demo-kiosk-kuancheng", "demo-kiosk-xinfa", "demo-display-kuancheng")
DEMO_USERNAMES = ("admin", "manager", "window1", "pickup")


class NotADemoDatabase(Exception):
    """The database holds real data: the publicly known demo logins never go into it."""


def present(session: Session) -> list[str]:
    """What of the demo's publicly known logins this database still holds (for warnings)."""
    from hall.admin.models import Device, Staff
    from hall.admin.services import token_hash

    found = []
    hashes = {token_hash(t): t for t in DEMO_TOKENS}
    for token_hash_, revoked in session.execute(
        select(Device.token_hash, Device.revoked_at).where(Device.token_hash.in_(list(hashes)))
    ):
        if revoked is None:
            found.append(f"device token {hashes[token_hash_]}")
    staff = session.scalars(
        select(Staff.username).where(Staff.username.in_(DEMO_USERNAMES), Staff.active.is_(True))
    ).all()
    found += [f"staff {name} (password {PASSWORD})" for name in staff]
    return found


def create(session: Session) -> str | None:
    """Create the demo halls once; return the text of the demo logins, or None if present.

    Refuses a database that holds halls of its own (NotADemoDatabase): the demo's tokens and
    password are public, so they only ever go into a database made for the demo.
    """
    if session.scalar(select(Hall).where(Hall.code == "kuancheng")):
        return None
    if session.scalar(select(Hall.id).limit(1)) is not None:
        raise NotADemoDatabase(
            "此数据库已有真实数据,不能加入演示账号 / this database holds real halls; the demo's "
            "public logins are never added to it"
        )
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
    # The receipt printer on window 1's desk (case notices: 受理通知书, 一次性告知书, …).
    desk_printer, _token = auth.add_device(
        session, "printer", main, name="1号窗口回执打印机", printer_url="dummy://"
    )
    desk_printer.printer_options = {"window": "1"}
    auth.add_device(
        session, "evaluator", main, name="1号窗评价器", token="demo-evaluator-kuancheng"
    )
    _demo_cases(session, main, street)
    return LOGINS_TEXT


# (matter, hall, state, applicant name, days ago received): a populated workbench.
DEMO_CASES = [
    ("samr-02", "kuancheng", "awaiting_documents", "李建国", 1),
    ("samr-03", "kuancheng", "refused", "王秀英", 2),
    ("samr-02", "kuancheng", "pending", "赵志强", 0),
    ("samr-04", "kuancheng", "claimed", "陈晓梅", 12),
    ("hrss-01", "kuancheng", "returned", "刘德华", 4),
    ("re-01", "kuancheng", "suspended", "孙丽娟", 3),
    ("hpf-01", "kuancheng", "ready", "周文博", 5),
    ("hrss-03", "kuancheng", "closed", "吴海燕", 8),
    ("civil-02", "xinfa", "pending", "郑国庆", 1),
    ("psb-01", "kuancheng", "overdue", "钱玉兰", 30),
]


def _staff(session: Session, username: str) -> Staff:
    return session.scalar(select(Staff).where(Staff.username == username))


def _demo_cases(session: Session, main: Hall, street: Hall) -> None:
    """A few cases in every state, built through the cases' own rules (demo only)."""
    from datetime import timedelta

    from hall import cache, clock
    from hall.cases import privacy, services
    from hall.cases.models import Case, CaseAction, CaseStatus, Task, Visit
    from hall.errors import HallError

    halls = {"kuancheng": main, "xinfa": street}
    clerks = {"kuancheng": "window1", "xinfa": "street1"}
    now = clock.now()
    days = cache.of(session).calendar()
    for n, (code, hall_code, state, name, ago) in enumerate(DEMO_CASES, start=1):
        hall = halls[hall_code]
        matter = session.scalar(
            select(Matter).where(Matter.hall_id == hall.id, Matter.code == code)
        )
        clerk = _staff(session, clerks[hall_code])
        at = now - timedelta(days=ago, hours=1)
        day = clock.service_date(at, hall.timezone)
        items = services.checklist(session, matter)
        required = [i["id"] for i in items if i.get("required", True)]
        id_number = f"2201031980{n:02d}01{n:03d}X"
        case = Case(
            number=f"{day:%Y%m%d}{hall.id:02d}9{n:03d}",
            token=f"demo-case-{n:02d}-receipt-code",
            hall_id=hall.id,
            matter_id=matter.id,
            guide_version=matter.version,
            staff_id=clerk.id,
            status=CaseStatus.AWAITING_DOCUMENTS,
            applicant_name_enc=privacy.seal(name),
            applicant_id_enc=privacy.seal(id_number),
            applicant_phone_enc=privacy.seal(f"1390431{n:04d}"),
            applicant_name_masked=privacy.mask_name(name),
            applicant_id_masked=privacy.mask_id(id_number),
            applicant_phone_masked=privacy.mask_phone(f"1390431{n:04d}"),
            documents_received=required if state != "awaiting_documents" else required[:1],
            missing=[],
            deferred=[],
            on_the_spot=matter.on_the_spot,
            result_pickup=matter.result_pickup,
            received_at=at,
            visits_count=1,
        )
        case.matter = matter
        session.add(case)
        session.flush()
        session.add(
            Visit(case_id=case.id, hall_id=hall.id, staff_id=clerk.id, purpose="intake", at=at)
        )
        services.log(session, case, "received", at, staff=clerk, detail="演示 / demo")
        if state == "awaiting_documents":
            case.missing = [
                {
                    "id": i["id"],
                    "name": i["name"],
                    "core": i.get("core", False),
                    "reason": "未提交 / not submitted",
                }
                for i in items
                if i["id"] in required[1:]
            ]
            continue
        if state == "refused":
            case.status = CaseStatus.REFUSED
            case.refused_at = at
            case.reason = "申请事项不属于本机关职权范围 / outside this authority's remit"
            continue
        case.step(CaseAction.COMPLETE)
        case.accepted_at = at
        case.deadline = days.add_workdays(day, matter.time_limit_days)
        case.statutory_deadline = days.add_workdays(
            day, max(matter.statutory_limit_days, matter.time_limit_days)
        )
        services.log(session, case, "accepted", at, staff=clerk)
        for dept, lead in services.departments_of(session, matter):
            case.tasks.append(
                Task(case_id=case.id, department_id=dept.id, lead=lead, created_at=at)
            )
        session.flush()
        officer = {
            t.id: _staff(session, f"bo-{session.get(Department, t.department_id).code}")
            for t in case.tasks
        }
        lead = case.tasks[0]
        try:
            if state in ("claimed", "returned", "suspended", "ready", "closed", "overdue"):
                services.task_action(
                    session, officer[lead.id], lead.id, "claim", {}, at + timedelta(hours=2)
                )
            if state == "returned":
                services.task_action(
                    session,
                    officer[lead.id],
                    lead.id,
                    "return",
                    {
                        "reason": "缴费凭证不清晰 / the contribution record is illegible",
                        "documents": ["清晰的参保缴费凭证 / a legible contribution record"],
                    },
                    at + timedelta(hours=3),
                )
            if state == "suspended":
                services.task_action(
                    session,
                    officer[lead.id],
                    lead.id,
                    "suspend",
                    {"reason": "现场勘验 / site inspection", "procedure": "inspection"},
                    at + timedelta(hours=3),
                )
            if state in ("ready", "closed"):
                for task in case.tasks:
                    if task.status == "pending":
                        services.task_action(
                            session, officer[task.id], task.id, "claim", {}, at + timedelta(hours=2)
                        )
                    services.task_action(
                        session, officer[task.id], task.id, "approve", {}, at + timedelta(hours=4)
                    )
            if state == "closed":
                case.step(CaseAction.HAND_OVER)
                case.handed_over_at = case.closed_at = at + timedelta(days=2)
                case.handed_to_masked = case.applicant_name_masked
                session.add(
                    Visit(case_id=case.id, hall_id=hall.id, purpose="pickup", at=case.closed_at)
                )
                services.log(session, case, "handed_over", case.closed_at, detail="演示 / demo")
        except HallError:  # a demo step the calendar does not allow today: leave it as it is
            continue
        case.warning = services.warning_level(
            case, clock.service_date(now, hall.timezone), hall.case_warning_days or 1, days
        )


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
    made = []
    for index, row in enumerate(matters):
        code, name, name_en, category, category_en, dept, queue, spot, days, docs = row
        joint = bool(ASSISTING.get(code))
        matter = Matter(
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
            basic_code=f"0001{index + 1:02d}{len(docs):02d}000",
            implementation_code=f"1122010300{hall.id:02d}{index + 1:03d}0001",
            statutory_limit_days=0 if spot else (45 if joint else max(20, days)),
            partial_allowed=code in PARTIAL_ALLOWED,
            result_pickup=(not spot) or code in MADE_ON_THE_SPOT,
        )
        session.add(matter)
        made.append((matter, dept, docs))
    session.flush()
    for matter, dept, docs in made:
        _catalogue(session, matter, dept, docs, departments)
    for number, name, served in windows:
        window = Window(hall_id=hall.id, number=number, name=name, name_en=f"Window {number}")
        window.links = [
            WindowQueue(queue_id=by_code[q].id, position=i)
            for i, q in enumerate(served)
            if q in by_code
        ]
        session.add(window)
    session.flush()


def _catalogue(session, matter, dept, docs, departments) -> None:
    """The matter's deciding departments and its first guide version with a checklist."""
    if dept:
        session.add(
            MatterDepartment(matter_id=matter.id, department_id=departments[dept].id, lead=True)
        )
        for other in ASSISTING.get(matter.code, []):
            session.add(
                MatterDepartment(
                    matter_id=matter.id, department_id=departments[other].id, lead=False
                )
            )
    items = []
    for n, text in enumerate(docs, start=1):
        name, _, name_en = text.partition(" / ")
        items.append(
            {
                "id": n,
                "name": name,
                "name_en": name_en,
                "required": True,
                "core": n == 1 or any(word in name for word in CORE_WORDS),
                "original": "复印件" not in name,
                "copies": 1,
            }
        )
    if docs and not matter.on_the_spot:
        items.append(
            {
                "id": len(items) + 1,
                "name": OPTIONAL_DOCUMENT.split(" / ")[0],
                "name_en": OPTIONAL_DOCUMENT.split(" / ")[1],
                "required": False,
                "core": False,
                "original": True,
                "copies": 1,
            }
        )
    session.add(
        MatterGuide(
            matter_id=matter.id,
            version=matter.version,
            changed_on=matter.changed_on,
            created_at=datetime(2026, 10, 8, 1, 0, tzinfo=UTC),
            on_the_spot=matter.on_the_spot,
            time_limit_days=matter.time_limit_days,
            statutory_limit_days=matter.statutory_limit_days,
            fee=matter.fee,
            conditions=matter.conditions,
            legal_basis=matter.legal_basis,
            documents=items,
        )
    )
