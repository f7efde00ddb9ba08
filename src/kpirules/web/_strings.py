"""The words of the web face, one table per language: Thai first, English on request.

The rule language, the checker and the explanations speak through the library's own messages; these
tables hold only what the pages themselves say (headings, buttons, labels). Both tables have the
same keys (a test says so), so a page never falls back to a key.

>>> label("th", "catalogues")
'ชุดตัวชี้วัด'
>>> label("en", "catalogues")
'Catalogues'
"""

from __future__ import annotations

__all__ = ["LANGUAGES", "STRINGS", "label"]

LANGUAGES = ("th", "en")

_TH: dict[str, str] = {
    "app": "kpirules: ตัวชี้วัดและเกณฑ์การให้คะแนน",
    "catalogues": "ชุดตัวชี้วัด",
    "catalogues_intro": "เลือกชุดตัวชี้วัดเพื่อดูเกณฑ์การวัด ให้คะแนน หรือแก้ไขกฎ",
    "shipped": "ชุดที่มากับโปรแกรม",
    "own_files": "ไฟล์ในโฟลเดอร์",
    "folder": "โฟลเดอร์",
    "no_files": "ยังไม่มีไฟล์ .kpi ในโฟลเดอร์นี้",
    "new_file": "สร้างไฟล์กฎใหม่",
    "indicators": "ตัวชี้วัด",
    "indicator": "ตัวชี้วัด",
    "broken": "อ่านไม่ได้",
    "view": "ดูเกณฑ์",
    "score": "ให้คะแนน",
    "edit": "แก้ไข",
    "download": "ดาวน์โหลด",
    "print": "พิมพ์",
    "total": "รวม",
    "weight_total": "น้ำหนักรวม",
    "weights_not_100": "น้ำหนักรวมไม่เท่ากับ 100",
    "year": "ปี",
    "round": "รอบ",
    "score_title": "ให้คะแนนตามเกณฑ์",
    "score_intro": "อัปโหลดไฟล์ผลการดำเนินงาน (.xlsx, .csv หรือ .json) แล้วกด \"ให้คะแนน\"",
    "records_layout": "ไฟล์ Excel หรือ CSV ต้องมีหัวตาราง subject, indicator, measure, value "
                      "หนึ่งแถวต่อหนึ่งค่า ขั้นสำเร็จที่ทำแล้วเขียน measure เป็น milestones "
                      "และ value เป็นเลขระดับ",
    "template": "ดาวน์โหลดแบบฟอร์ม (.xlsx)",
    "step_rules": "เลือกชุดตัวชี้วัด",
    "step_template": "ยังไม่มีไฟล์? ดาวน์โหลดแบบฟอร์ม แล้วกรอกค่าในคอลัมน์ value",
    "step_upload": "เลือกไฟล์ผลการดำเนินงาน (.xlsx, .csv หรือ .json)",
    "options": "ตัวเลือกเพิ่มเติม",
    "encoding": "รหัสอักขระ (CSV/JSON)",
    "encoding_auto": "อัตโนมัติ (UTF-8 หรือ Windows ภาษาไทย)",
    "strict": "ปฏิเสธตัววัดที่ไม่รู้จัก",
    "run_score": "ให้คะแนน",
    "results": "ผลคะแนน",
    "subjects": "ผู้รับการประเมิน",
    "scored": "ให้คะแนนแล้ว",
    "rejected": "ถูกปฏิเสธ",
    "rejected_rows": "แถวที่ไม่ได้ให้คะแนน",
    "reason": "เหตุผล",
    "row": "แถว",
    "subject": "ผู้รับการประเมิน",
    "level": "ระดับ",
    "score_col": "คะแนน",
    "points": "คะแนนถ่วงน้ำหนัก",
    "explain": "คำอธิบาย",
    "ranking": "อันดับคะแนนรวม",
    "levels_chart": "จำนวนผู้รับการประเมินที่ได้แต่ละระดับ",
    "shown_first": "แสดง {shown} รายแรกจาก {count} ราย ดาวน์โหลดไฟล์เพื่อดูทั้งหมด",
    "download_results": "ดาวน์โหลดผลคะแนน",
    "editor": "แก้ไขกฎ",
    "file_name": "ชื่อไฟล์",
    "save": "บันทึก",
    "format": "จัดรูปแบบ",
    "to_thai": "คำสั่งภาษาไทย",
    "to_english": "คำสั่งภาษาอังกฤษ",
    "run_examples": "ทดสอบตัวอย่าง",
    "checking": "กำลังตรวจ…",
    "no_problems": "ไม่พบปัญหา",
    "problems": "ปัญหาที่พบ",
    "error": "ข้อผิดพลาด",
    "warning": "คำเตือน",
    "line_col": "บรรทัด {line} ตำแหน่ง {column}",
    "examples_passed": "ตัวอย่างทุกข้อผ่าน",
    "examples_failed": "ตัวอย่างไม่ผ่าน {count} ข้อ",
    "saved": "บันทึกแล้ว",
    "save_conflict": "ไฟล์ถูกแก้ไขบนดิสก์หลังจากเปิด จึงยังไม่บันทึก ข้อความของคุณยังอยู่ในช่องแก้ไข "
                     "คัดลอกเก็บไว้ แล้วเปิดไฟล์ใหม่เพื่อดูฉบับล่าสุด",
    "save_exists": "มีไฟล์ชื่อนี้อยู่แล้ว เลือกชื่ออื่น หรือเปิดไฟล์นั้นเพื่อแก้ไข",
    "save_failed": "บันทึกไม่สำเร็จ",
    "bad_name": "ชื่อไฟล์ใช้ได้เฉพาะตัวอักษร ตัวเลข ช่องว่าง - _ . และวงเล็บ (ไม่ขึ้นต้นด้วยจุด "
                "ไม่มี / \\ : * ? \" < > |)",
    "read_only": "ชุดที่มากับโปรแกรมแก้ไขไม่ได้ บันทึกจะเป็นไฟล์ใหม่ในโฟลเดอร์",
    "unsaved": "มีการแก้ไขที่ยังไม่บันทึก",
    "switch_language": "English",
    "error_title": "เกิดข้อผิดพลาด",
    "not_found": "ไม่พบหน้าที่ต้องการ",
    "run_gone": "ไม่พบผลคะแนนนี้แล้ว (เซิร์ฟเวอร์เก็บไว้เฉพาะ 16 ครั้งล่าสุดจนกว่าจะปิด) โปรดให้คะแนนใหม่",
    "not_found_name": "ไม่พบชุดตัวชี้วัดชื่อ \"{name}\"",
    "too_large": "ไฟล์ใหญ่เกินไป (ไม่เกิน {limit})",
    "not_allowed": "คำขอนี้ใช้ไม่ได้",
    "cross_origin": "ปฏิเสธการบันทึกที่ไม่ได้มาจากหน้านี้ของเซิร์ฟเวอร์เอง",
    "internal_error": "ระบบขัดข้องภายใน ข้อผิดพลาดถูกบันทึกไว้ที่เครื่องที่เปิดเซิร์ฟเวอร์แล้ว "
                      "โปรดแจ้งผู้ดูแล",
    "back_home": "กลับหน้าแรก",
    "cannot_use_file": "ใช้ไฟล์นี้ไม่ได้",
    "choose_file": "โปรดเลือกไฟล์ผลการดำเนินงาน",
    "cannot_load_rules": "อ่านไฟล์กฎไม่ได้",
    "rules": "ชุดตัวชี้วัด",
}

_EN: dict[str, str] = {
    "app": "kpirules: indicators and scoring criteria",
    "catalogues": "Catalogues",
    "catalogues_intro": "Choose a catalogue to see its criteria, score records or edit its rules.",
    "shipped": "Shipped with kpirules",
    "own_files": "Files in the folder",
    "folder": "Folder",
    "no_files": "There are no .kpi files in this folder yet.",
    "new_file": "New rule file",
    "indicators": "indicators",
    "indicator": "Indicator",
    "broken": "cannot be read",
    "view": "Criteria",
    "score": "Score",
    "edit": "Edit",
    "download": "Download",
    "print": "Print",
    "total": "Total",
    "weight_total": "Weight total",
    "weights_not_100": "The weights do not total 100",
    "year": "Year",
    "round": "Round",
    "score_title": "Score against the criteria",
    "score_intro": "Upload a records file (.xlsx, .csv or .json), then press \"Score\".",
    "records_layout": "An Excel or CSV file needs the header subject, indicator, measure, value and "
                      "one row per value; a milestone done is a row with measure milestones and the "
                      "level number as value.",
    "template": "Download a template (.xlsx)",
    "step_rules": "Choose the catalogue",
    "step_template": "No file yet? Download the template and fill in the value column",
    "step_upload": "Choose the records file (.xlsx, .csv or .json)",
    "options": "More options",
    "encoding": "Text encoding (CSV/JSON)",
    "encoding_auto": "Automatic (UTF-8 or Windows Thai)",
    "strict": "Reject measures the rules do not know",
    "run_score": "Score",
    "results": "Results",
    "subjects": "Subjects",
    "scored": "scored",
    "rejected": "rejected",
    "rejected_rows": "Rows not scored",
    "reason": "Reason",
    "row": "Row",
    "subject": "Subject",
    "level": "Level",
    "score_col": "Score",
    "points": "Points",
    "explain": "Explanation",
    "ranking": "Ranking by total",
    "levels_chart": "Subjects reaching each level",
    "shown_first": "The first {shown} of {count} are shown; download the results for all of them.",
    "download_results": "Download the results",
    "editor": "Edit rules",
    "file_name": "File name",
    "save": "Save",
    "format": "Format",
    "to_thai": "Thai keywords",
    "to_english": "English keywords",
    "run_examples": "Run examples",
    "checking": "Checking…",
    "no_problems": "No problems found",
    "problems": "Problems",
    "error": "error",
    "warning": "warning",
    "line_col": "line {line}, column {column}",
    "examples_passed": "Every example passes",
    "examples_failed": "{count} examples fail",
    "saved": "Saved",
    "save_conflict": "The file was changed on disk after you opened it, so it was not saved. Your "
                     "text is still in the editor: copy it, then open the file again to see the "
                     "newer version.",
    "save_exists": "A file of this name exists already; choose another name or open that file.",
    "save_failed": "Not saved",
    "bad_name": "A file name may hold letters, digits, spaces, - _ . and parentheses only (no "
                "leading dot, none of / \\ : * ? \" < > |).",
    "read_only": "A shipped catalogue cannot be changed; saving makes a new file in the folder.",
    "unsaved": "There are unsaved changes",
    "switch_language": "ภาษาไทย",
    "error_title": "Something went wrong",
    "not_found": "There is no such page.",
    "run_gone": "These results are gone (the server keeps the last 16 until it stops); score the "
                "file again.",
    "not_found_name": "There is no catalogue named \"{name}\".",
    "too_large": "The upload is too large (at most {limit}).",
    "not_allowed": "This request is not allowed.",
    "cross_origin": "Saving is refused unless the request comes from this server's own page.",
    "internal_error": "An internal error; the details were logged where the server runs. Please "
                      "tell whoever looks after it.",
    "back_home": "Back to the start",
    "cannot_use_file": "This file cannot be used",
    "choose_file": "Choose a records file",
    "cannot_load_rules": "The rule file cannot be read",
    "rules": "Catalogue",
}

STRINGS: dict[str, dict[str, str]] = {"th": _TH, "en": _EN}


def label(language: str, key: str, **fields: object) -> str:
    """The words for ``key`` in ``language`` ("th" unless "en"), with ``fields`` filled in."""
    table = _EN if language == "en" else _TH
    words = table[key]
    return words.format(**fields) if fields else words
