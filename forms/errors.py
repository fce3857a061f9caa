"""The catalogue of problems a definition author can meet.

Each code has a Chinese message template that says what is wrong and a hint
that says how to fix it. Checks create a `Problem` with a code, the path
inside the definition and the template's parameters; the loader adds the
file, line and column (as jsonschema's descend() adds `.path`).
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ErrorCode:
    code: str
    name: str
    template: str
    hint: str = ""


CATALOGUE: dict[str, ErrorCode] = {e.name: e for e in [
    ErrorCode("E001", "read-failed", "无法读取文件：{detail}", "检查文件是否存在、是否有读取权限。"),
    ErrorCode("E002", "syntax", "文件格式有误：{detail}", "对照上下几行检查缩进（只用空格，同一层左对齐）、冒号和引号。"),
    ErrorCode("E003", "tab-indent", "缩进里有制表符（Tab）", "YAML 只能用空格缩进，请把 Tab 换成空格。"),
    ErrorCode("E004", "empty-file", "文件是空的", "参照 `biaoge new ID` 生成的模板填写。"),
    ErrorCode("E005", "duplicate-key", "关键字 '{key}' 在同一层出现了两次", "删去其中一个，或改成不同的名字。"),
    ErrorCode("E006", "not-mapping", "定义文件的最外层必须是「关键字：值」的形式", "参照 `biaoge new ID` 生成的模板。"),
    ErrorCode("E101", "unknown-keyword", "未知的关键字 '{key}'{suggestion}", "可用的关键字见 docs/authoring.md。"),
    ErrorCode("E102", "unknown-value", "{what} '{value}'{suggestion}", "可选的值：{choices}。"),
    ErrorCode("E103", "wrong-type", "'{key}' 的值应为{expected}，这里写的是{actual}", "检查是否漏了引号、列表的 - 或缩进。"),
    ErrorCode("E104", "missing-keyword", "缺少必需的关键字 '{key}'", "在这一层加上 {key}: …"),
    ErrorCode("E105", "bad-value", "'{key}' 的值不符合要求：{detail}", ""),
    ErrorCode("E106", "bad-field-key", "字段名 '{key}' 无效", "字段名只能包含字母、汉字、数字和下划线，且不能以数字开头。"),
    ErrorCode("E107", "bad-id", "表单 id '{value}' 无效", "id 只能用小写英文字母、数字和下划线，并以字母开头，例如 order_form。"),
    ErrorCode("E108", "no-paper-meaning", "关键字 '{key}' 在纸面表格上没有对应：{why}",
              "删去 {key}；能印在表上的标准写法见 docs/authoring.md「Standard JSON Schema in」。"),
    ErrorCode("E109", "condition-unsupported", "关键字 '{key}' 在纸面表格上没有对应：{why}（条件只能写成 x-when 加 required）",
              "改写成 if 里用 const/enum 判断、then/else 里用 required 列出要填的字段；写法见 docs/authoring.md「Standard JSON Schema in」。"),
    ErrorCode("E201", "duplicate-id", "表单 id '{value}' 已在 {other} 中使用", "每个表单的 id 必须唯一，请换一个。"),
    ErrorCode("E202", "missing-title", "字段 '{key}' 没有标题 title", "加上 title: 中文名称，它会印在表格上。"),
    ErrorCode("E203", "unknown-shared", "共享字段 '{value}' 不存在{suggestion}", "共享字段写在 schemas/_shared.yaml 的 fields 下。"),
    ErrorCode("E219", "no-shared-file", "用了共享字段 x-use: {value}，但这个文件夹及其上级都没有 _shared.yaml",
              "把 _shared.yaml 放进定义所在的文件夹（或上级），或者不用 x-use，直接写出 title 和 x-kind。"),
    ErrorCode("E204", "kind-type-conflict", "字段类型 x-kind '{kind}' 与 type '{type}' 矛盾", "删掉 type，只写 x-kind 即可。"),
    ErrorCode("E205", "choices-missing", "选择题 '{key}' 没有可选项", "用 enum: [选项一, 选项二] 列出可选项。"),
    ErrorCode("E206", "default-not-choice", "默认值 '{value}' 不在可选项 {choices} 中", "把 default 改成可选项之一，或把它加进 enum。"),
    ErrorCode("E207", "score-range", "评分字段 '{key}' 必须写明分值范围", "加上 minimum: 0 和 maximum: 满分。"),
    ErrorCode("E208", "bad-range", "最小值 {minimum} 大于最大值 {maximum}", "检查 minimum 和 maximum 是否写反了。"),
    ErrorCode("E209", "table-needs-columns", "表格 '{key}' 没有列", "在 items: properties: 下列出表格的各列。"),
    ErrorCode("E210", "required-unknown", "required 中的字段 '{value}' 不存在{suggestion}", "required 只能列出同一层 properties 里的字段名。"),
    ErrorCode("E211", "bad-width", "宽度 x-width: {value} 不合理", "宽度以汉字个数计，应在 1 到 60 之间。"),
    ErrorCode("E212", "table-too-wide", "表格 '{key}' 各列宽度之和为 {total} 个字，超出 {paper} 纸可容纳的 {limit} 个字",
              "减小某些列的 x-width，或在 x-layout 中改用 orientation: landscape 或更大的纸。"),
    ErrorCode("E213", "layout-unknown-field", "版面中引用的字段 '{value}' 不存在{suggestion}", "field: 后面写 properties 中的字段名。"),
    ErrorCode("E214", "line-item-empty", "这一项既没有 field，也没有 text 或 label", "写成 field: 字段名、text: 固定文字，或 label: 名称 加 blank: line。"),
    ErrorCode("E215", "bad-compute-kind", "计算字段 '{key}' 的类型 {kind} 不能由公式得出", "计算字段应为数字、金额、百分比、整数、评分或文字。"),
    ErrorCode("E216", "compute-required", "计算字段 '{key}' 不需要写进 required", "计算字段总由系统算出，把它从 required 中删去。"),
    ErrorCode("E217", "bad-pattern", "正则表达式 pattern 有误：{detail}", "检查括号是否成对、特殊字符是否需要 \\ 转义。"),
    ErrorCode("E218", "limit-too-big", "{key}: {value} 超过了上限 {limit}", "{why}"),
    ErrorCode("E220", "unique-not-value", "'{key}' 是{what}，不能声明 x-unique", "x-unique 写在一个填值的字段上，例如房号。"),
    ErrorCode("E221", "unique-unknown-field", "x-unique 的 {where} 中的字段 '{value}' 不在同一层{suggestion}",
              "with / unless 只能写与它同一层（同一表格行）的字段名。"),
    ErrorCode("E222", "unique-unknown-choice", "x-unique 的 unless 中「{title}」没有可选项 '{value}'{suggestion}",
              "unless 写「字段: [取消时的选项]」，选项须在该字段的 enum 中。"),
    ErrorCode("E223", "list-unknown-field", "记录列表的列 '{value}' 不存在或不能作为列{suggestion}",
              "x-form 的 list 写本表顶层、只有一个简短值的字段名（不能是表格、分组或长文字），例如 list: [customer_name, order_date, total]。"),
    ErrorCode("E301", "expr-syntax", "公式有误：{detail}", "公式可用数字、字段名、+ - * /、括号和 sum、round、if、daxie 等函数。"),
    ErrorCode("E302", "expr-unknown-field", "公式中的字段 '{name}' 不存在{suggestion}", "公式里写字段名（properties 中的名字）或字段的中文标题。"),
    ErrorCode("E303", "expr-unknown-function", "未知的函数 '{name}'{suggestion}", "可用的函数：sum, min, max, round, abs, if, and, or, not, daxie。"),
    ErrorCode("E304", "expr-arity", "函数 {name} 需要 {expected} 个参数，这里有 {actual} 个", ""),
    ErrorCode("E305", "expr-column-scalar", "'{name}' 是表格的一列，只能放在 sum、min 或 max 里", "例如 sum({name})。"),
    ErrorCode("E306", "expr-too-complex", "公式太长或嵌套太深（最多 {limit}）", "把公式拆成几个计算字段。"),
    ErrorCode("E307", "expr-not-value", "'{name}' 是{what}，不能直接用于计算", "引用其中具体的字段，例如 {name}.字段名。"),
    ErrorCode("E308", "compute-cycle", "计算字段互相引用，形成循环：{cycle}", "至少让其中一个字段不依赖其他计算字段。"),
    ErrorCode("E309", "expr-row-outside", "'{name}' 是表格「{title}」每一行里的字段，这里不在表格行中",
              "汇总整列请写 sum({table}.{name})。"),
    ErrorCode("E310", "expr-date", "公式中的日期用得不对：{detail}", "相隔天数写 结束日期 - 开始日期，几天后写 开始日期 + 天数。"),
    ErrorCode("E311", "expr-result-type", "公式算出的是{got}，而「{title}」是{kind}字段", "{hint}"),
    ErrorCode("E312", "rule-unknown-field", "规则所属的字段 '{value}' 不存在{suggestion}", "field: 后面写这一层 properties 中的字段名。"),
    ErrorCode("E401", "numbering-pattern", "编号格式 '{value}' 有误：{detail}", "格式示例：DH-{{yyyy}}{{mm}}-{{seq:4}}，可用 {{yyyy}} {{yy}} {{mm}} {{dd}} {{seq:N}}。"),
    ErrorCode("E402", "numbering-date-field", "编号所依据的日期字段 '{value}' 不存在或不是日期{suggestion}", "date-field 应写一个 x-kind: date 的字段名。"),
    ErrorCode("E501", "policy-duplicate", "{what}「{value}」出现了不止一次", "每个{what}只写一次；同名的下级部门请加上地区等以区分。"),
    ErrorCode("E502", "policy-unknown", "未知的{what}「{value}」{suggestion}", "检查拼写；表单写 id，表单组写 groups 下的名字。"),
    ErrorCode("E601", "source-bad", "数据来源 x-source 写得不对：{detail}", "参照 docs/authoring.md「报表的数据来源」一节。"),
    ErrorCode("E602", "source-unknown-form", "数据来源中的表单 '{value}' 不存在{suggestion}", "form: 后面写来源表单的 id（如 delivery_note）或中文标题。"),
    ErrorCode("E603", "source-unknown-field", "来源表单「{form}」没有字段 '{value}'{suggestion}",
              "写来源表单 properties 中的字段名或中文标题；分组内的字段写 分组.字段，也可用 编号、部门、提交人、状态。"),
    ErrorCode("E604", "source-bad-period", "报表期间字段 '{value}' 不存在或不是日期、年月、年份字段{suggestion}",
              "period: 后面写本报表中 x-kind 为 date、month 或 year 的字段名。"),
    ErrorCode("E605", "source-bad-date", "来源表单「{form}」的字段 '{value}' 不是日期字段", "date: 后面写来源表单中 x-kind: date 的字段，报表按它归入期间。"),
    ErrorCode("E606", "source-bad-rows", "来源表单「{form}」没有明细表 '{value}'{suggestion}", "rows: 后面写来源表单中 x-kind: table 的字段名。"),
    ErrorCode("E607", "source-bad-where", "筛选条件 '{value}' 的格式不对", "写成 字段 = 值 或 字段 != 值，例如 状态 = 已通过。"),
    ErrorCode("E608", "source-unknown-column", "表格「{table}」没有列 '{value}'{suggestion}", "columns 和 group 中写本报表表格的列名。"),
    ErrorCode("E609", "source-bad-column", "列的来源 '{value}' 写得不对：{detail}", "写成 sum(数量)、count、count_distinct(客户名称)，可在后面加 上期、本月累计 或 本年累计。"),
    ErrorCode("E610", "source-not-numeric", "'{value}' 中的 {agg} 只能用于数字字段，'{name}' 不是数字", "合计和平均请选金额、数量等数字字段；统计份数用 count。"),
    ErrorCode("E611", "source-needs-aggregate", "「{title}」按分组汇总，'{value}' 需要写出汇总方式", "例如 sum({value})、count 或 count_distinct({value})。"),
    ErrorCode("E612", "source-target-kind", "「{title}」是{kind}字段，放不下汇总出的{what}", "把这一列的 x-kind 改成 integer、number 或 money，或换一种汇总方式。"),
    ErrorCode("E613", "source-computed-column", "「{title}」是计算字段（x-compute），不能再从来源取数", "删去这一列的来源，或删去它的 x-compute。"),
    ErrorCode("E614", "source-group-column", "列 '{value}' 已在 group 中，不能再写在 columns 里", "分组列的值就是分组的值，从 columns 中删去它。"),
    ErrorCode("E615", "source-mixed", "表格「{table}」的 columns 中既有逐条取值的列，又有汇总的列", "逐条列出时每列都写来源字段；要汇总请加 group。"),
    ErrorCode("E616", "source-like", "like: {value} 没有找到同一报表中带 x-source 的表格", "like: 后面写本报表中有 x-source 的表格字段名。"),
    ErrorCode("E617", "source-merge", "表格「{table}」的几个数据来源分组列不同，无法合并成同一行", "几个来源都写相同的 group 列，系统按分组把它们合并为一行。"),
    ErrorCode("E504", "sensitive-derived", "计算字段「{title}」由敏感字段「{source}」（{value}）算出，自己却不是 {value}",
              "给它也加上 x-sensitive: {value}，否则不能看敏感字段的人会从它推出敏感的值。"),
    ErrorCode("E701", "flow-no-steps", "审批流程 x-approval 没有步骤", "在 x-approval 下用 steps: 列出各审批步骤（每步写 title 与 decider）。"),
    ErrorCode("E702", "flow-unknown-role", "审批人角色「{value}」没有在 _org.yaml 的 roles 中定义{suggestion}",
              "decider 写 _org.yaml 中 roles 下的角色名；需要新角色时先在 _org.yaml 中加上。"),
    ErrorCode("E703", "flow-unknown-field", "审批步骤填写的字段 '{value}' 不存在{suggestion}",
              "写 properties 中的字段名，分组里的字段写成 分组.字段，例如 manager_review.opinion。"),
    ErrorCode("E704", "flow-unknown-step", "审批步骤 '{value}' 不存在{suggestion}", "写 steps 中某一步的 id。"),
    ErrorCode("E705", "flow-unreachable", "审批步骤「{title}」只在否决时进入，但没有任何否决规则通向它",
              "在 veto 中写 then: 这一步的 id，或删去 on-veto-only。"),
    ErrorCode("E706", "flow-veto-no-then", "否决规则（制约权）没有意见分歧时进入的后续步骤",
              "在 veto 中写 then: 步骤 id，且这一步要排在 step 与 against 两步之后。"),
    ErrorCode("E708", "flow-conclusion-words", "审批结论「{title}」的可选项（{choices}）里没有表示同意和不同意的词",
              "可选项里要有「同意」与「不同意」（或 通过/不通过、否决 等），结论按审批人的决定填写。"),
    ErrorCode("E709", "flow-required-approver", "「{title}」由审批人填写，不能列在 required 中（申请人提交时还没有它）",
              "把它从所在层的 required 中删去；审批时由审批记录填写。"),
    ErrorCode("E707", "flow-duplicate-step", "审批步骤 id '{value}' 出现了不止一次", "每一步的 id 必须不同。"),
    ErrorCode("E801", "sheet-missing", "工作簿里没有「{value}」表", "字段写在名为「字段」（或 survey）的工作表里，第一行是列名。"),
    ErrorCode("E802", "sheet-unknown-header", "未知的列名「{value}」{suggestion}", "可用的列名：{choices}（也可写英文 XLSForm 列名）。"),
    ErrorCode("E803", "sheet-unknown-type", "未知的类型「{value}」{suggestion}", "类型写 单选、多选、金额、日期 等，或 begin group / begin repeat。"),
    ErrorCode("E804", "sheet-unknown-list", "选项表「{value}」在「选项」表中不存在{suggestion}", "在「选项」表里为它写几行：选项表、值、选项标题。"),
    ErrorCode("E805", "sheet-duplicate-name", "名称「{value}」与第 {other} 行重复", "同一层的字段名称必须不同，换一个名称。"),
    ErrorCode("E806", "sheet-unbalanced", "分组或表格的开始与结束不成对（{value}）", "每个 begin group 配一个 end group，每个 begin repeat 配一个 end repeat。"),
    ErrorCode("E807", "sheet-empty-cell", "这一格不能空着", "填上名称（字段名用字母、汉字、数字和下划线）。"),
    ErrorCode("E808", "sheet-bad-cell", "「{value}」写得不对：{detail}", "其他列写 {{关键字: 值}}，例如 {{x-width: 6}}。"),
    ErrorCode("E809", "sheet-too-big", "表格太大：超过 {limit}", "把表单拆成几个，或删去空行。"),
    ErrorCode("E810", "sheet-compile", "{detail}", ""),
    ErrorCode("E812", "sheet-choice-label", "选项表「{list}」里的选项标题「{label}」重复", "同一个选项表里每个选项的标题要不同，否则填好的表格读回时分不清是哪一项。"),
    ErrorCode("E811", "sheet-unreadable", "无法读取这个工作簿：{detail}", "上传用 Excel 保存的 .xlsx 文件。"),
    ErrorCode("E503", "sensitive-unknown", "字段「{title}」的敏感类别「{value}」没有在 _org.yaml 的 sensitive 中列出{suggestion}",
              "在 _org.yaml 的 sensitive 下加上这个类别，再在 roles 中用 see 授予可以查看的角色。"),
]}


@dataclass
class Problem:
    """One problem found in a definition file."""
    name: str
    path: tuple = ()
    file: str = ""
    line: int = 0
    col: int = 0
    params: dict = field(default_factory=dict)

    def __init__(self, name, path=(), file="", line=0, col=0, /, **params):
        if name not in CATALOGUE:
            raise KeyError(f"unknown problem code {name!r}")
        self.name, self.path, self.file, self.line, self.col = name, tuple(path), file, line, col
        self.params = params

    @property
    def code(self) -> ErrorCode:
        return CATALOGUE[self.name]

    @property
    def message(self) -> str:
        return self.code.template.format_map(_Params(self.params))

    @property
    def hint(self) -> str:
        return self.code.hint.format_map(_Params(self.params))

    @property
    def pointer(self) -> str:
        return "/" + "/".join(str(p) for p in self.path)

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.col}" if self.file else ""
        text = f"{where}: {self.code.code} {self.pointer}: {self.message}"
        return text + (f"（提示：{self.hint}）" if self.hint else "")

    def as_dict(self) -> dict:
        return {"code": self.code.code, "type": self.name, "file": self.file, "line": self.line,
                "column": self.col, "path": self.pointer, "message": self.message, "hint": self.hint}


class _Params(dict):
    def __missing__(self, key):
        return ""


def suggestion(word: str, candidates) -> str:
    """"，是否想写 'x'？" for the closest candidate, or "" when nothing is close."""
    match = closest(word, candidates)
    return f"，是否想写 '{match}'？" if match else ""


def closest(word, candidates):
    found = difflib.get_close_matches(str(word), [str(c) for c in candidates], n=1, cutoff=0.6)
    return found[0] if found else None


class DefinitionError(Exception):
    """Raised where a caller needs a valid form and got problems."""

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))
