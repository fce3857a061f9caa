"""The OpenAPI 3.1 document of /api (a test checks it matches the routes).

Besides the generic paths (any form by id), each form of the catalog has its own concrete
submission paths, whose request and response bodies are that form's JSON Schema
(forms.published): a client can generate code from it and a fuzzer can aim at it. In
OpenAPI, concrete paths are matched before templated ones.
"""
from __future__ import annotations

import copy
import weakref

from forms.published import record_data_schema, submission_schema

ERROR = {"$ref": "#/components/schemas/Error"}


def _resp(description, schema=None, content_type="application/json"):
    out = {"description": description}
    if schema is not None:
        out["content"] = {content_type: {"schema": schema}}
    return out


def _errors(*codes):
    names = {400: "请求有误", 404: "表单或记录不存在", 413: "请求体过大", 415: "不是 JSON", 422: "数据校验失败",
             500: "服务器错误", 503: "存储不可用", 403: "无权这样做（申请人填写审批栏、不是这一步的审批人）",
             409: "已被占用（销控）、已作废，或审批已进入下一步"}
    return {str(c): _resp(names[c], ERROR) for c in codes}


FORM_ID = {"name": "form_id", "in": "path", "required": True, "schema": {"type": "string"}, "description": "表单 id"}
RECORD_ID = {"name": "record_id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}
REV = {"name": "rev", "in": "query", "schema": {"type": "integer", "minimum": 1}, "description": "修订版本，默认最新"}


_documents: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def openapi_document(catalog) -> dict:
    """The document for this catalog (built once per catalog version)."""
    doc = _documents.get(catalog)
    if doc is None:
        doc = _documents[catalog] = _generic()
        for forms in catalog.by_chapter().values():
            for form in forms:
                _add_form(doc, form)
    return doc


def _add_form(doc: dict, form) -> None:
    fid = form.id
    schemas = doc["components"]["schemas"]
    from services.approval_print import applicant_form
    schemas[f"{fid}.submission"] = submission_schema(applicant_form(form))   # approvers' fields are theirs
    schemas[f"{fid}.record"] = {"allOf": [{"$ref": "#/components/schemas/Record"}],
                                "properties": {"data": record_data_schema(form)}}
    record = {"$ref": f"#/components/schemas/{fid}.record"}
    generic = doc["paths"]["/api/forms/{form_id}/submissions"]
    listing = copy.deepcopy(generic["get"])
    listing.update(summary=f"{form.title}：记录列表（新的在前）", operationId=f"listSubmissions.{fid}",
                   parameters=[p for p in listing["parameters"] if p["name"] != "form_id"])
    listing["responses"]["200"]["content"]["application/json"]["schema"]["properties"]["items"]["items"] = record
    doc["paths"][f"/api/forms/{fid}/submissions"] = {
        "get": listing,
        "post": {"summary": f"提交一份「{form.title}」", "operationId": f"createSubmission.{fid}",
                 "requestBody": {"required": True, "content": {"application/json": {
                     "schema": {"$ref": f"#/components/schemas/{fid}.submission"}}}},
                 "responses": {"201": _resp("已保存，返回编号", record),
                               **_errors(400, 413, 415, 422, 503, *((403,) if form.flow else ()))}}}
    doc["paths"][f"/api/forms/{fid}/submissions/{{record_id}}"] = {
        "get": {"summary": f"一条「{form.title}」记录", "operationId": f"getSubmission.{fid}",
                "parameters": [RECORD_ID, REV], "responses": {"200": _resp("记录", record), **_errors(400, 404)}}}


def _generic() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {"title": "biaoge 表格 API", "version": "1.0.0",
                 "description": "表单目录、提交与记录。错误一律为 {error: {status, code, message, errors?}}。"},
        "paths": {
            "/api/openapi.json": {"get": {"summary": "本文档", "operationId": "openapi",
                                          "responses": {"200": _resp("OpenAPI 文档", {"type": "object"})}}},
            "/api/forms": {"get": {"summary": "表单目录", "operationId": "listForms",
                                   "responses": {"200": _resp("表单列表", {"type": "object", "properties": {
                                       "forms": {"type": "array", "items": {"$ref": "#/components/schemas/FormSummary"}},
                                       "broken": {"type": "array", "items": {"type": "string"}}}}),
                                       **_errors(500)}}},
            "/api/forms/{form_id}": {"get": {"summary": "表单定义", "operationId": "getForm", "parameters": [FORM_ID],
                                             "responses": {"200": _resp("定义", {"type": "object"}), **_errors(404)}}},
            "/api/forms/{form_id}/submissions": {
                "get": {"summary": "记录列表（新的在前）", "operationId": "listSubmissions",
                        "parameters": [FORM_ID,
                                       {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}},
                                       {"name": "per_page", "in": "query",
                                        "schema": {"type": "integer", "minimum": 1, "maximum": 200}},
                                       {"name": "from", "in": "query", "schema": {"type": "string", "format": "date"}},
                                       {"name": "to", "in": "query", "schema": {"type": "string", "format": "date"}},
                                       {"name": "q", "in": "query", "schema": {"type": "string"}},
                                       {"name": "where", "in": "query", "style": "form", "explode": True,
                                        "description": "字段=值，可重复", "schema": {"type": "array",
                                                                               "items": {"type": "string"}}}],
                        "responses": {"200": _resp("一页记录", {"type": "object", "properties": {
                            "items": {"type": "array", "items": {"$ref": "#/components/schemas/Record"}},
                            "total": {"type": "integer"}, "page": {"type": "integer"},
                            "per_page": {"type": "integer"}, "pages": {"type": "integer"}}}), **_errors(400, 404)}},
                "post": {"summary": "提交一份表单", "operationId": "createSubmission", "parameters": [FORM_ID],
                         "requestBody": {"required": True, "content": {"application/json": {
                             "schema": {"type": "object"}}}},
                         "responses": {"201": _resp("已保存，返回编号", {"$ref": "#/components/schemas/Record"}),
                                       **_errors(400, 404, 409, 413, 415, 422, 503)}}},
            "/api/forms/{form_id}/submissions/{record_id}": {
                "get": {"summary": "一条记录", "operationId": "getSubmission", "parameters": [FORM_ID, RECORD_ID, REV],
                        "responses": {"200": _resp("记录", {"$ref": "#/components/schemas/Record"}),
                                      **_errors(400, 404)}}},
            "/api/forms/{form_id}/submissions/{record_id}/void": {
                "post": {"summary": "作废一条记录（保留编号，不删除）", "operationId": "voidSubmission",
                         "parameters": [FORM_ID, RECORD_ID],
                         "requestBody": {"required": True, "content": {"application/json": {"schema": {
                             "type": "object", "required": ["reason"],
                             "properties": {"reason": {"type": "string", "minLength": 1, "maxLength": 200}}}}}},
                         "responses": {"200": _resp("已作废：原因、作废人、时间", {"type": "object"}),
                                       **_errors(400, 404, 409, 422)}}},
            "/api/forms/{form_id}/submissions/{record_id}.{fmt}": {
                "get": {"summary": "记录的 PDF 或 Excel", "operationId": "getSubmissionFile",
                        "parameters": [FORM_ID, RECORD_ID, REV,
                                       {"name": "fmt", "in": "path", "required": True,
                                        "schema": {"enum": ["pdf", "xlsx"]}}],
                        "responses": {"200": {"description": "文件", "content": {
                            "application/pdf": {"schema": {"type": "string", "format": "binary"}},
                            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                                "schema": {"type": "string", "format": "binary"}}}}, **_errors(400, 404, 422)}}},
            "/api/forms/{form_id}/submissions/{record_id}/approval": {
                "get": {"summary": "记录的审批：状态、当前步骤、等待谁、审批记录", "operationId": "getApproval",
                        "parameters": [FORM_ID, RECORD_ID],
                        "responses": {"200": _resp("审批", {"type": "object"}), **_errors(404)}},
                "post": {"summary": "审批操作：同意、不同意、驳回、退回、转交、撤回、确认、提交", "operationId": "decide",
                         "parameters": [FORM_ID, RECORD_ID],
                         "requestBody": {"required": True, "content": {"application/json": {"schema": {
                             "type": "object", "required": ["action"], "properties": {
                                 "action": {"enum": ["同意", "不同意", "驳回", "退回", "转交", "撤回", "确认", "提交"]},
                                 "comment": {"type": "string", "maxLength": 1000},
                                 "values": {"type": "object", "description": "这一步可填写的字段"},
                                 "to": {"type": "string", "description": "转交给（登录名）"},
                                 "step": {"type": "string", "description": "操作时看到的步骤 id"}}}}}},
                         "responses": {"200": _resp("审批", {"type": "object"}), **_errors(400, 403, 404, 409, 422)}}},
            "/api/approvals": {"get": {"summary": "待我审批、我发起的、我已处理", "operationId": "inbox",
                                       "responses": {"200": _resp("三个列表", {"type": "object"})}}},
            "/api/jobs/{job_id}": {
                "get": {"summary": "归档任务的状态与进度", "operationId": "getJob",
                        "parameters": [{"name": "job_id", "in": "path", "required": True,
                                        "schema": {"type": "string", "pattern": "^[0-9a-f]{32}$"}}],
                        "responses": {"200": _resp("任务：state（queued/running/done/failed）、done/total、error、download",
                                                   {"type": "object"}), **_errors(404)}}},
        },
        "components": {"schemas": {
            "Error": {"type": "object", "required": ["error"], "properties": {"error": {
                "type": "object", "required": ["status", "code", "message"],
                "properties": {"status": {"type": "integer"}, "code": {"type": "string"},
                               "message": {"type": "string"},
                               "errors": {"type": "array", "items": {"$ref": "#/components/schemas/FieldError"}}}}}},
            "FieldError": {"type": "object", "properties": {"path": {"type": "string"}, "field": {"type": "string"},
                                                            "message": {"type": "string"}}},
            "FormSummary": {"type": "object", "properties": {"id": {"type": "string"}, "title": {"type": "string"},
                                                             "chapter": {"type": "string"},
                                                             "version": {"type": "integer"},
                                                             "url": {"type": "string"}}},
            "Record": {"type": "object", "properties": {
                "id": {"type": "integer"}, "number": {"type": ["string", "null"]}, "revision": {"type": "integer"},
                "created": {"type": "string"}, "updated": {"type": "string"}, "version": {"type": "integer"},
                "data": {"type": "object"}, "url": {"type": "string"}}},
        }},
    }
