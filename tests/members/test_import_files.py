"""Hostile and messy workbooks (issue 5, item 4) and "one set of rules" (item 3).

Every hostile file gets a clear message in Chinese, or is normalized and imported; never an exception other
than ValidationError, and never a partial import. The helpers here build files the way Excel, WPS or an
attacker would; tests/members/test_import_views.py reuses them through the pages."""
import datetime as dt
import functools
import io
import re
import zipfile

import pytest
from django.core.exceptions import ValidationError
from openpyxl import Workbook, load_workbook

from members.importing import MISMATCH_MESSAGE, build_template, import_workbook
from members.importing import reader as reader_module
from members.models import CadrePost, Membership, Person
from members.services import allocate_segment, enter_cadre, enter_member
from tests.factories import make_id_number

pytestmark = pytest.mark.django_db

BRANCH_SHEET = "导入下级团支部团员团干部"
CADRE_SHEET = "导入本级团干部"


# --- helpers (also used by the view tests) ---------------------------------------------------------------


def codes_of(exc: ValidationError) -> set[str]:
    if hasattr(exc, "error_dict"):
        return {e.code for errs in exc.error_dict.values() for e in errs}
    return {e.code for e in exc.error_list}


def save(wb) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@functools.cache
def template(kind: str) -> bytes:
    """The template as downloaded: built once per test process (~0.3 s a build; it depends on nothing but `kind`)."""
    return build_template(kind)


def fill(rows: list[dict], kind: str = "branch_members", *, start: int | None = None) -> bytes:
    """The downloaded template filled by header text, one dict a row; `start` leaves rows empty before."""
    wb = load_workbook(io.BytesIO(template(kind)))
    ws = wb[BRANCH_SHEET if kind == "branch_members" else CADRE_SHEET]
    headers = {c.value: c.column for c in ws[1] if c.value}
    for i, data in enumerate(rows):
        for key, value in data.items():
            ws.cell(row=(start or 2) + i, column=headers[key], value=value)
    return save(wb)


def member_row(tree, **over) -> dict:
    row = {"姓名": "赵一", "身份证号": make_id_number(dt.date(2004, 4, 4)), "入团时间": dt.date(2016, 5, 4),
           "所在团支部全称": tree["b1"].full_name, "手机号码": "13800000001"}
    row.update(over)
    return row


def run(tree, content: bytes, kind: str = "branch_members", **kw):
    return import_workbook(actor=tree["school_admin"], acting_org=tree["school"], kind=kind,
                           file=io.BytesIO(content), **kw)


def rezip(content: bytes, edit) -> bytes:
    """The same .xlsx with edit(name, data) -> data applied to each entry."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, edit(info.filename, zin.read(info.filename)))
    return out.getvalue()


def sheet_entry(content: bytes, title: str) -> str:
    """The zip entry of the sheet called `title`."""
    with zipfile.ZipFile(io.BytesIO(content)) as zf:
        book = zf.read("xl/workbook.xml").decode()
        rels = zf.read("xl/_rels/workbook.xml.rels").decode()
    rid = re.search(rf'<sheet[^>]*name="{title}"[^>]*r:id="([^"]+)"', book) or \
        re.search(rf'<sheet[^>]*r:id="([^"]+)"[^>]*name="{title}"', book)
    target = re.search(rf'<Relationship[^>]*Id="{rid.group(1)}"[^>]*Target="([^"]+)"', rels) or \
        re.search(rf'<Relationship[^>]*Target="([^"]+)"[^>]*Id="{rid.group(1)}"', rels)
    return "xl/" + target.group(1).lstrip("/").removeprefix("xl/")


def text_file() -> bytes:
    return "姓名,身份证号,入团时间\n赵一,110101200404041234,2016-05-04\n".encode("gbk")


def corrupt_zip(tree) -> bytes:
    """A real .xlsx zip whose compressed sheet data is damaged (the zip directory itself still reads)."""
    data = bytearray(fill([member_row(tree)]))
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as zf:
        info = zf.getinfo(sheet_entry(bytes(data), BRANCH_SHEET))
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    for i in range(start + 10, start + min(info.compress_size, 400)):
        data[i] ^= 0x5A
    return bytes(data)


def zip_bomb() -> bytes:
    """A tiny zip with the entries of a workbook, one of which inflates to 30 MB of zeros."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
        zf.writestr("xl/worksheets/sheet1.xml", b"\0" * (30 * 1024 * 1024))
    return out.getvalue()


ENTITIES = ('<!DOCTYPE worksheet [<!ENTITY a "HAHAHAHAHA"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
            '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY x SYSTEM "file:///etc/passwd">]>')


def with_entities(tree) -> bytes:
    """A filled template whose sheet XML declares a DOCTYPE with nested and external entities, used in a cell."""
    content = fill([member_row(tree, 姓名="ENTITYHERE")])
    entry = sheet_entry(content, BRANCH_SHEET)

    def edit(name, data):
        if name != entry:
            return data
        xml = data.decode()
        xml = xml.replace("?>", "?>" + ENTITIES, 1) if xml.startswith("<?xml") else ENTITIES + xml
        return xml.replace("ENTITYHERE", "&c;&x;").encode()

    return rezip(content, edit)


def huge_rows(tree, n: int) -> bytes:
    return fill([member_row(tree, 身份证号=make_id_number(dt.date(2004, 4, 4)), 手机号码=f"138{i:08d}")
                 for i in range(n)])


# --- not a workbook, broken workbooks ------------------------------------------------------------------


def _refused(tree, content: bytes, kind: str = "branch_members") -> ValidationError:
    before = Person.objects.count()
    with pytest.raises(ValidationError) as err:
        run(tree, content, kind)
    assert Person.objects.count() == before
    assert all(re.search(r"[\u4e00-\u9fff]", m) for m in err.value.messages)  # a message in Chinese
    return err.value


def test_it_refuses_a_csv_or_plain_text_file(tree):
    exc = _refused(tree, text_file())
    assert codes_of(exc) == {"file_invalid"} and ".xlsx" in exc.messages[0]
    assert codes_of(_refused(tree, b"")) == {"file_invalid"}


def test_it_refuses_a_zip_that_is_not_a_workbook(tree):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("readme.txt", "hello")
    assert codes_of(_refused(tree, out.getvalue())) == {"file_invalid"}


def test_it_refuses_a_truncated_workbook(tree):
    content = fill([member_row(tree)])
    assert codes_of(_refused(tree, content[: len(content) // 2])) == {"file_invalid"}


def test_it_refuses_a_workbook_with_damaged_compressed_data(tree):
    assert codes_of(_refused(tree, corrupt_zip(tree))) == {"file_invalid"}


def test_it_refuses_a_zip_bomb_before_inflating_it(tree):
    exc = _refused(tree, zip_bomb())
    assert codes_of(exc) & {"file_invalid", "file_too_large"}
    assert "压缩比" in exc.messages[0] or "解压后过大" in exc.messages[0]


def test_it_refuses_a_zip_with_too_many_entries(tree):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("xl/workbook.xml", "<workbook/>")
        for i in range(reader_module.MAX_ENTRIES + 1):
            zf.writestr(f"xl/media/{i}.bin", b"x")
    assert codes_of(_refused(tree, out.getvalue())) == {"file_invalid"}


def test_it_never_expands_xml_entities(tree):
    """A DOCTYPE with entities (billion laughs, an external file): refused with a clear message, or read with
    the entity left unexpanded; never the expanded text, never a crash."""
    try:
        result = run(tree, with_entities(tree), dry_run=True)
    except ValidationError as exc:
        assert codes_of(exc) == {"file_invalid"} and "无法打开" in exc.messages[0]
    else:
        assert "HAHA" not in str(result.errors) and "root:" not in str(result.errors)
    assert not Person.objects.filter(name__contains="HAHA").exists()
    assert not Person.objects.filter(name__contains="root").exists()


# --- formulas, numbers, full-width text, dates ------------------------------------------------------------


def _formula_with_cached_value(content: bytes, formula: str, cached: str) -> bytes:
    """openpyxl writes formulas without a result; Excel saves the result next to it. Add one."""
    entry = sheet_entry(content, BRANCH_SHEET)

    def edit(name, data):
        if name != entry:
            return data
        xml = data.decode()
        escaped = formula.replace("&", "&amp;")
        pattern = re.compile(r'<c r="([A-Z]+\d+)"([^>]*)><f>' + re.escape(escaped) + r"</f><v\s*/?>(</v>)?")
        xml, n = pattern.subn(lambda m: f'<c r="{m.group(1)}" t="str"><f>{escaped}</f><v>{cached}</v>', xml)
        assert n == 1, xml[:2000]
        return xml.encode()

    return rezip(content, edit)


def test_a_formula_without_a_cached_value_is_an_empty_cell_not_its_text(tree):
    content = fill([member_row(tree, 姓名="=1+1")])
    result = run(tree, content)
    assert result.created == 0
    assert [(r, h, code) for r, h, code, _m in result.errors] == [(2, "姓名", "required")]
    assert not Person.objects.filter(name__startswith="=").exists()


def test_a_formula_with_a_cached_value_imports_the_value_only(tree):
    content = _formula_with_cached_value(fill([member_row(tree, 姓名='="张"&"三"')]), '"张"&"三"', "张三")
    result = run(tree, content)
    assert result.created == 1 and not result.errors
    assert Person.objects.filter(name="张三").exists()
    assert not Person.objects.filter(name__contains="&").exists()


@pytest.mark.parametrize("as_number", [int, float])
def test_an_id_number_stored_as_a_number_is_refused(tree, as_number):
    ident = make_id_number(dt.date(2004, 4, 4))
    if not ident[-1].isdigit():
        ident = make_id_number(dt.date(2004, 4, 5))
    content = fill([member_row(tree, 身份证号=as_number(ident))])
    result = run(tree, content)
    assert result.created == 0
    assert [(r, h, code) for r, h, code, _m in result.errors] == [(2, "身份证号", "id_number_invalid")]
    assert "文本" in result.errors[0][3]  # the message says what to do


def test_full_width_digits_and_stray_spaces_are_normalized(tree):
    ident = make_id_number(dt.date(2004, 4, 4))
    wide = " " + "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c.lower() for c in ident[:6]) + " " + ident[6:] + " "
    row = member_row(tree, 姓名=" 赵　一 ", 身份证号=wide, 入团时间=dt.date(2018, 5, 4),
                     发展团员编号=" ２０１８０００００１２３ ", 手机号码=" 138 0000 0009 ")
    result = run(tree, fill([row]))
    assert not result.errors and result.created == 1
    person = Person.objects.get(id_number=ident)
    assert (person.name, person.development_number, person.phone) == ("赵一", "201800000123", "13800000009")


@pytest.mark.parametrize("cell", [42494, 42494.0, "42494", "2016-05-04", "2016/5/4", "2016.05.04", "2016年5月4日",
                                  "20160504", " 2016-05-04 ", dt.date(2016, 5, 4), dt.datetime(2016, 5, 4, 0, 0)])
def test_excel_date_serials_and_text_dates_are_read(tree, cell):
    ident = make_id_number(dt.date(2004, 4, 4))
    result = run(tree, fill([member_row(tree, 身份证号=ident, 入团时间=cell)]))
    assert not result.errors and result.created == 1
    assert Person.objects.get(id_number=ident).joined_on == dt.date(2016, 5, 4)


def test_a_date_that_is_no_date_is_reported_on_its_cell(tree):
    result = run(tree, fill([member_row(tree, 入团时间="去年五月")]))
    assert [(r, h, code) for r, h, code, _m in result.errors] == [(2, "入团时间", "date_invalid")]


# --- layout: moved and merged headers, extra columns, empty rows, hidden sheets --------------------------


def _own_layout(tree, header: list[str], rows: list[list], *, title_row: bool = True) -> bytes:
    """A workbook made by hand (no template marker): optional merged title row, then header and rows."""
    wb = Workbook()
    ws = wb.active
    ws.title = BRANCH_SHEET
    if title_row:
        ws.append(["信息学院团员名单（2026年）"])
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    ws.append(header)
    for r in rows:
        ws.append(r)
    return save(wb)


def test_moved_columns_and_a_merged_title_row_above_the_header(tree):
    header = ["手机号码", "所在团支部全称", "备注", "入团时间", "身份证号", "姓名"]
    good, bad = make_id_number(dt.date(2004, 4, 4)), "110101200404040000"
    content = _own_layout(tree, header, [
        ["13800000001", tree["b1"].full_name, "班长", "2016-05-04", good, "赵一"],
        ["13800000002", tree["b1"].full_name, "", "2016-05-04", bad, "钱二"],
    ])
    result = run(tree, content)
    assert [(r, h, code) for r, h, code, _m in result.errors] == [(4, "身份证号", "id_number_invalid")]
    assert result.created == 0 and not Person.objects.filter(id_number=good).exists()  # all or nothing


def test_a_header_cell_merged_across_columns(tree):
    wb = load_workbook(io.BytesIO(fill([member_row(tree)])))
    ws = wb[BRANCH_SHEET]
    ws.insert_cols(2)          # 姓名 now spans A:B, its data in A
    ws.merge_cells("A1:B1")
    result = run(tree, save(wb))
    assert not result.errors and result.created == 1


def test_extra_columns_are_ignored(tree):
    wb = load_workbook(io.BytesIO(fill([member_row(tree)])))
    ws = wb[BRANCH_SHEET]
    last = ws.max_column
    ws.cell(row=1, column=last + 1, value="备注")
    ws.cell(row=2, column=last + 1, value="=HYPERLINK(\"http://evil\")")
    ws.cell(row=1, column=last + 2, value="身份证号（旧）")
    ws.cell(row=2, column=last + 2, value="not an id")
    result = run(tree, save(wb))
    assert not result.errors and result.created == 1


def test_empty_rows_in_the_middle_are_skipped_and_rows_keep_the_sheets_numbers(tree):
    wb = load_workbook(io.BytesIO(fill([member_row(tree)])))
    ws = wb[BRANCH_SHEET]
    headers = {c.value: c.column for c in ws[1] if c.value}
    for key, value in member_row(tree, 身份证号="110101200404040000", 手机号码="13800000002").items():
        ws.cell(row=6, column=headers[key], value=value)
    ws.cell(row=4, column=headers["姓名"], value="   ")   # spaces only: still an empty row
    result = run(tree, save(wb))
    assert result.rows == 2
    assert [(r, h, code) for r, h, code, _m in result.errors] == [(6, "身份证号", "id_number_invalid")]
    assert result.created == 0


def test_data_starting_further_down_keeps_the_sheets_row_numbers(tree):
    content = fill([member_row(tree, 身份证号="110101200404040000")], start=5)
    result = run(tree, content)
    assert [(r, h) for r, h, _c, _m in result.errors] == [(5, "身份证号")]


def test_hidden_sheets_are_ignored(tree):
    wb = load_workbook(io.BytesIO(fill([member_row(tree)])))
    hidden = wb.create_sheet("旧数据", 0)
    hidden.append(["姓名", "身份证号", "入团时间", "所在团支部全称"])
    hidden.append(["隐藏的人", "110101200404040000", "2016-05-04", tree["b1"].full_name])
    hidden.sheet_state = "hidden"
    result = run(tree, save(wb))
    assert not result.errors and result.created == 1
    assert not Person.objects.filter(name="隐藏的人").exists()


def test_a_missing_header_row_is_refused(tree):
    wb = Workbook()
    wb.active.append(["名字", "证件"])
    assert codes_of(_refused(tree, save(wb))) == {"header_missing"}


def test_the_other_templates_file_is_refused_with_the_contracts_message(tree):
    for made, used in (("own_cadres", "branch_members"), ("branch_members", "own_cadres")):
        exc = _refused(tree, build_template(made), used)
        assert codes_of(exc) == {"template_mismatch"} and exc.messages == [MISMATCH_MESSAGE]


# --- limits ----------------------------------------------------------------------------------------------


def test_a_file_over_the_size_limit_is_refused(tree, monkeypatch):
    content = fill([member_row(tree)])
    monkeypatch.setattr(reader_module, "MAX_BYTES", len(content) - 1)
    exc = _refused(tree, content)
    assert codes_of(exc) == {"file_too_large"} and "10 MB" in exc.messages[0]


def test_a_file_over_the_row_limit_is_refused(tree, monkeypatch):
    """Rows with data are counted as they are read; a sheet reaching past the limit and the header rows is
    refused before (R-ENT-10, tests/members/test_hostile_input.py)."""
    monkeypatch.setattr(reader_module, "MAX_ROWS", 3)
    header = ["姓名", "身份证号", "入团时间", "所在团支部全称", "手机号码"]

    def rows(n):
        return [["赵一", make_id_number(dt.date(2004, 4, 4)), "2016-05-04", tree["b1"].full_name, f"138{i:08d}"]
                for i in range(n)]

    assert run(tree, _own_layout(tree, header, rows(3), title_row=False)).created == 3
    exc = _refused(tree, _own_layout(tree, header, rows(4), title_row=False))
    assert codes_of(exc) == {"too_many_rows"} and "20000" in exc.messages[0]
    exc = _refused(tree, _own_layout(tree, header, rows(3 + reader_module.HEADER_SCAN), title_row=False))
    assert codes_of(exc) == {"file_too_large"} and "20000" in exc.messages[0]


# --- one set of rules: every members error code through single entry and through import ------------------


@pytest.fixture
def rules_world(tree, member):
    allocate_segment(actor=None, org=tree["b2"], year=2019, first="201900001000", last="201900001999")
    enter_member(actor=None, branch=tree["b1"], id_number=make_id_number(dt.date(2004, 6, 6)), name="持号人",
                 joined_on=dt.date(2018, 5, 4), development_number="201800000077")
    return {"tree": tree, "member": member}


def _member_case(tree, member, code):
    """(single-entry keyword arguments, the import row) that break exactly the rule behind `code`."""
    born = dt.date(2004, 4, 4)
    base = {"id_number": make_id_number(born), "name": "孙三", "joined_on": dt.date(2016, 5, 4),
            "development_number": "", "branch": tree["b1"], "profile": {}}
    if code == "id_number_invalid":
        base["id_number"] = "110101200404040000"
    elif code == "id_registered":
        base["id_number"] = member.id_number
    elif code == "join_age":
        base["id_number"] = make_id_number(dt.date(2005, 6, 1))      # 10 years old in May 2016
    elif code == "dev_number_required":
        base["joined_on"] = dt.date(2018, 5, 4)
    elif code == "dev_number_format":
        base.update(joined_on=dt.date(2018, 5, 4), development_number="2018 0000 0001")
    elif code == "dev_number_year":
        base.update(joined_on=dt.date(2018, 5, 4), development_number="201900000001")
    elif code == "dev_number_segment":
        base.update(joined_on=dt.date(2019, 5, 4), development_number="201900000001", branch=tree["b2"])
    elif code == "dev_number_taken":
        base.update(joined_on=dt.date(2018, 5, 4), development_number="201800000077")
    elif code == "phone_invalid":
        base["profile"] = {"phone": "12345"}
    elif code == "choice_invalid":
        base["profile"] = {"ethnicity": "火星族"}
    return base


MEMBER_CODES = ["id_number_invalid", "id_registered", "join_age", "dev_number_required", "dev_number_format",
                "dev_number_year", "dev_number_segment", "dev_number_taken", "phone_invalid", "choice_invalid"]
HEADERS = {"phone": "手机号码", "ethnicity": "民族"}


@pytest.mark.parametrize("code", MEMBER_CODES)
def test_a_member_rule_gives_the_same_code_in_single_entry_and_import(rules_world, code):
    tree, member = rules_world["tree"], rules_world["member"]
    case = _member_case(tree, member, code)
    with pytest.raises(ValidationError) as err:
        enter_member(actor=tree["school_admin"], branch=case["branch"], id_number=case["id_number"],
                     name=case["name"], joined_on=case["joined_on"], development_number=case["development_number"],
                     **case["profile"])
    assert code in codes_of(err.value)

    row = {"姓名": case["name"], "身份证号": case["id_number"], "入团时间": case["joined_on"],
           "发展团员编号": case["development_number"], "所在团支部全称": case["branch"].full_name,
           "手机号码": case["profile"].get("phone", "13800000001")}
    row.update({HEADERS[k]: v for k, v in case["profile"].items()})
    before = Person.objects.count()
    result = run(tree, fill([row]))
    assert code in {c for _r, _h, c, _m in result.errors}
    assert result.created == 0 and Person.objects.count() == before


@pytest.mark.parametrize("code", ["name_mismatch", "title_invalid", "id_number_invalid", "phone_invalid",
                                  "choice_invalid"])
def test_a_cadre_rule_gives_the_same_code_in_single_entry_and_import(tree, member, code):
    args = {"id_number": make_id_number(dt.date(1999, 9, 9)), "name": "周五", "title": "委员", "profile": {}}
    if code == "name_mismatch":
        args.update(id_number=member.id_number, name="不是张小明")
    elif code == "title_invalid":
        args["title"] = "主席"
    elif code == "id_number_invalid":
        args["id_number"] = "11010119990909000X"
    elif code == "phone_invalid":
        args["profile"] = {"phone": "1380000"}
    elif code == "choice_invalid":
        args["profile"] = {"ethnicity": "火星族"}
    posts = CadrePost.objects.count()
    with pytest.raises(ValidationError) as err:
        enter_cadre(actor=tree["school_admin"], org=tree["school"], id_number=args["id_number"], name=args["name"],
                    title=args["title"], **args["profile"])
    assert code in codes_of(err.value)

    row = {"姓名": args["name"], "身份证号": args["id_number"], "职务": args["title"],
           "手机号码": args["profile"].get("phone", "13800000001")}
    row.update({HEADERS[k]: v for k, v in args["profile"].items()})
    result = run(tree, fill([row], "own_cadres"), "own_cadres")
    assert code in {c for _r, _h, c, _m in result.errors}
    assert result.created == 0 and CadrePost.objects.count() == posts


def test_an_own_cadres_import_adds_posts_like_enter_cadre(tree, member):
    result = run(tree, fill([{"姓名": member.name, "身份证号": member.id_number, "职务": "委员", "手机号码": "13800000003"},
                             {"姓名": "吴六", "身份证号": make_id_number(dt.date(1998, 1, 2)), "职务": "副书记",
                              "手机号码": "13800000004"}], "own_cadres"), "own_cadres")
    assert not result.errors and result.created == 2
    # R-ENT-9: the person on record gets a post that waits for them; the new person's post holds at once.
    assert CadrePost.objects.get(org=tree["school"], person=member, title="委员").is_pending
    assert CadrePost.objects.get(org=tree["school"], title="副书记").confirmed_at is not None
    assert Membership.objects.filter(person=member, ended_at__isnull=True).count() == 1


def test_an_own_cadres_import_cannot_make_someone_on_record_a_member_of_the_branch(tree):
    """The import path of issue 10's takeover: b1's admin imports the root admin as a member of b1."""
    root = tree["central_admin"]
    result = import_workbook(actor=tree["b1_admin"], acting_org=tree["b1"], kind="own_cadres", file=io.BytesIO(fill(
        [{"姓名": root.name, "身份证号": root.id_number, "职务": "委员", "入团时间": dt.date(2012, 5, 4),
          "手机号码": "13800000005"}], "own_cadres")))
    assert [c for _r, _h, c, _m in result.errors] == ["id_registered"] and result.created == 0
    assert not Membership.objects.filter(person=root).exists()
    assert not CadrePost.objects.filter(person=root, org=tree["b1"]).exists()


def test_it_refuses_a_zip_bomb_that_lies_about_its_sizes(tree):
    """The size checks read the zip directory; an entry that declares a small size but inflates to more
    is refused by the parser, not read to its end."""
    import struct

    content = fill([member_row(tree)])
    entry = sheet_entry(content, BRANCH_SHEET)
    padded = rezip(content, lambda name, data: data.replace(b"<sheetData>", b"<sheetData>" + b" " * (8 * 1024 * 1024))
                   if name == entry else data)
    raw = bytearray(padded)
    with zipfile.ZipFile(io.BytesIO(padded)) as zf:
        info = zf.getinfo(entry)
    fake = info.compress_size * 2                       # a ratio of 2: passes the directory checks
    struct.pack_into("<I", raw, info.header_offset + 22, fake)
    at = raw.find(b"PK\x01\x02")
    while at != -1:
        length = struct.unpack_from("<H", raw, at + 28)[0]
        if raw[at + 46: at + 46 + length].decode() == entry:
            struct.pack_into("<I", raw, at + 24, fake)
        at = raw.find(b"PK\x01\x02", at + 4)
    assert codes_of(_refused(tree, bytes(raw))) == {"file_invalid"}
