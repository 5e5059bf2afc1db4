"""UI text, Vietnamese first with an English switch. Form labels come from the form definition."""
from __future__ import annotations

LANGS = ("vi", "en")

STRINGS: dict[str, tuple[str, str]] = {
    "app.title": ("Rà soát hộ nghèo, cận nghèo", "Household poverty review"),
    "lang.switch": ("English", "Tiếng Việt"),
    # enroll
    "enroll.title": ("Đăng ký máy tính bảng", "Enroll this tablet"),
    "enroll.help": ("Nhập địa chỉ máy chủ phường và mã đăng ký do cán bộ phường cấp "
                    "(hoặc quét mã QR trên máy có camera).",
                    "Type the ward server address and the enrollment code from the ward office "
                    "(or scan the QR code on a device with a camera)."),
    "enroll.server": ("Địa chỉ máy chủ phường", "Ward server address"),
    "enroll.code": ("Mã đăng ký (ví dụ ABCD-EFGH-JKLM)", "Enrollment code (e.g. ABCD-EFGH-JKLM)"),
    "enroll.name": ("Tên máy (ví dụ Máy KP01)", "Device name (e.g. Tab KP01)"),
    "enroll.button": ("Đăng ký", "Enroll"),
    "enroll.scan": ("Quét mã QR", "Scan QR code"),
    "enroll.busy": ("Đang kết nối máy chủ…", "Contacting the server…"),
    "enroll.need_server": ("Chưa nhập địa chỉ máy chủ", "The server address is missing"),
    "enroll.need_code": ("Chưa nhập mã đăng ký", "The enrollment code is missing"),
    "enroll.no_camera": ("Máy này không có camera — hãy nhập mã đăng ký (gõ địa chỉ máy chủ và mã).",
                         "This device has no camera — type the enrollment code (server address and code)."),
    # QR scan of the enrollment code
    "scan.title": ("Quét mã QR đăng ký", "Scan the enrollment QR code"),
    "scan.aim": ("Đưa mã QR trên phiếu đăng ký vào giữa khung hình và giữ yên máy.",
                 "Hold the QR code of the enrollment slip in the middle of the picture and keep still."),
    "scan.cancel": ("< Huỷ, nhập mã bằng tay", "< Cancel, type the code"),
    "scan.camera_failed": ("Không mở được camera ({error}) — hãy nhập mã đăng ký.",
                           "Cannot open the camera ({error}) — type the enrollment code."),
    "scan.done": ("Đã đọc mã QR (máy chủ {server}). Kiểm tra rồi bấm “Đăng ký”.",
                  "QR code read (server {server}). Check, then tap “Enroll”."),
    # list
    "list.title": ("Hộ của tôi", "My households"),
    "list.search": ("Tìm theo tên, địa chỉ, số điện thoại (không cần dấu)",
                    "Search name, address, phone (accents optional)"),
    "list.all_groups": ("Tất cả khu phố", "All groups"),
    "list.new": ("+ Thêm hộ mới", "+ New household"),
    "list.sync": ("Đồng bộ", "Sync"),
    "list.count": ("{shown} / {total} hộ", "{shown} / {total} households"),
    "list.empty": ("Không có hộ nào khớp với bộ lọc.", "No household matches the filters."),
    "list.members": ("{n} người", "{n} people"),
    "list.no_name": ("(chưa có tên chủ hộ)", "(no head's name yet)"),
    "list.returned": ("Trả lại: {reason}", "Returned: {reason}"),
    "list.reenroll": ("Đăng ký lại", "Enroll again"),
    "status.all": ("Tất cả", "All"),
    "status.not_started": ("Chưa bắt đầu", "Not started"),
    "status.draft": ("Đang nhập", "Draft"),
    "status.ready": ("Sẵn sàng gửi", "Ready"),
    "status.waiting": ("Chờ đồng bộ", "Waiting to sync"),
    "status.synced": ("Đã đồng bộ", "Synced"),
    "status.returned": ("Bị trả lại", "Returned"),
    # form
    "form.back": ("< Danh sách", "< List"),
    "form.summary": ("Xem kết quả", "Results"),
    "form.finish": ("Hoàn thành và gửi", "Finish and send"),
    "form.returned": ("Cán bộ phường trả lại phiếu: {reason}", "Returned by the ward office: {reason}"),
    "form.saved": ("Đã lưu trên máy lúc {time} (giờ Việt Nam)", "Saved on this tablet at {time} (Vietnam time)"),
    "form.errors_left": ("Còn {n} lỗi hoặc câu bắt buộc chưa trả lời; xem các mục có dấu (!).",
                         "{n} errors or required answers remain; see the sections marked (!)."),
    "form.queued": ("Đã đưa phiếu vào hàng chờ gửi.", "The form is queued for sending."),
    "hint.money": ("nhập số tiền (đồng)", "type an amount (đồng)"),
    "hint.integer": ("nhập số", "type a number"),
    "hint.decimal": ("nhập số, ví dụ 28 hoặc 28,5", "type a number, e.g. 28 or 28.5"),
    "hint.date": ("ngày/tháng/năm, ví dụ 05/01/1980", "day/month/year, e.g. 05/01/1980"),
    "form.yes": ("Có", "Yes"),
    "form.no": ("Không", "No"),
    "form.clear": ("Xoá", "Clear"),
    "form.members_add": ("+ Thêm thành viên", "+ Add member"),
    "form.member_edit": ("Sửa", "Edit"),
    "form.member_remove": ("Xoá", "Remove"),
    "form.member_done": ("Xong thành viên này", "Done with this member"),
    "form.member_title": ("Thành viên {n}: {name}", "Member {n}: {name}"),
    "form.member_line": ("{n}. {name} — {relation}, {age}", "{n}. {name} — {relation}, {age}"),
    "form.age": ("{age} tuổi", "age {age}"),
    "form.age_unknown": ("chưa có tuổi", "age unknown"),
    "form.no_members": ("Chưa có thành viên. Bấm “Thêm thành viên”, bắt đầu từ chủ hộ.",
                        "No member yet. Tap “Add member”, starting with the head."),
    "form.not_supported": ("Chưa hỗ trợ trên máy này (cần GPS/camera của máy tính bảng).",
                           "Not available on this device (needs the tablet's GPS/camera)."),
    "form.server_problems": ("Máy chủ chưa nhận phiếu vì: {text}", "The server refused the form: {text}"),
    # preloaded households: confirm each section; lifecycle; split (issue 7)
    "form.confirm_button": ("Không thay đổi", "Unchanged"),
    "form.confirm_needed": ("Thông tin kỳ trước: bấm “Không thay đổi” nếu vẫn đúng, hoặc sửa câu trả lời.",
                            "Last review's answers: tap “Unchanged” if they still hold, or edit them."),
    "form.confirm_unchanged": ("Đã xác nhận: không thay đổi so với kỳ trước.", "Confirmed: unchanged since last review."),
    "form.confirm_changed": ("Đã sửa so với kỳ trước.", "Changed since last review."),
    "form.split_button": ("Tách hộ mới từ hộ này…", "Split a new household off…"),
    "form.split_title": ("Chọn các thành viên tách ra thành hộ mới", "Choose the members who form the new household"),
    "form.split_ok": ("Tạo hộ mới", "Create the new household"),
    "form.split_cancel": ("Huỷ", "Cancel"),
    "form.split_choose": ("Hãy chọn ít nhất một thành viên, và để lại ít nhất một người ở hộ cũ.",
                          "Choose at least one member, and leave at least one in this household."),
    "form.split_done": ("Đã tạo hộ mới với {n} thành viên tách ra; hộ mới có trong danh sách.",
                        "A new household with {n} members was created; it is in the list."),
    # evidence (issue 9)
    "gps.unavailable": ("Không có GPS trên thiết bị này", "No GPS on this device"),
    "gps.none": ("Chưa lấy vị trí GPS (không bắt buộc).", "No GPS position yet (optional)."),
    "gps.waiting": ("Đang chờ tín hiệu GPS… (có thể tiếp tục nhập phiếu)", "Waiting for GPS… (keep filling in the form)"),
    "gps.get": ("Lấy vị trí GPS", "Get GPS position"),
    "gps.manual": ("Lưu vị trí nhập tay", "Save typed position"),
    "gps.manual_saved": ("Đã lưu vị trí nhập tay.", "Typed position saved."),
    "gps.lat": ("Vĩ độ", "Latitude"),
    "gps.lon": ("Kinh độ", "Longitude"),
    "gps.acc": ("Sai số (m)", "Accuracy (m)"),
    "photo.title": ("Ảnh nhà ở", "Dwelling photos"),
    "photo.camera": ("Chụp ảnh: {q}", "Photo: {q}"),
    "photo.file": ("Thêm ảnh từ tệp: {q}", "Add photo file: {q}"),
    "photo.path_hint": ("Đường dẫn tệp ảnh (máy tính)", "Path of an image file (desktop)"),
    "photo.need_file": ("Hãy nhập đường dẫn tệp ảnh.", "Type the path of an image file."),
    "photo.added": ("Đã lưu ảnh trên máy.", "Photo saved on the tablet."),
    "photo.remove": ("Xoá ảnh", "Remove"),
    "photo.sent": ("đã gửi", "sent"),
    "photo.waiting": ("chờ gửi", "to send"),
    # summary
    "summary.title": ("Kết quả phân loại (xem trước)", "Classification (preview)"),
    "summary.income": ("Thu nhập bình quân: {per}/người/tháng — chuẩn: {line}",
                       "Income: {per}/person/month — line: {line}"),
    "summary.deprived": ("Thiếu hụt {n}/{total} chỉ số", "Deprived on {n}/{total} indicators"),
    "summary.missing": ("Còn thiếu hoặc cần sửa", "Still missing or to fix"),
    "summary.nothing_missing": ("Phiếu đã đầy đủ.", "The form is complete."),
    "summary.back": ("< Về phiếu", "< Back to the form"),
    "summary.preview_note": ("Kết quả chính thức do cán bộ phường xác nhận sau khi đồng bộ.",
                             "The official result is confirmed by the ward office after sync."),
    # sync
    "sync.title": ("Đồng bộ với máy chủ phường", "Sync with the ward server"),
    "sync.pending": ("Chờ gửi: {n}", "Pending: {n}"),
    "sync.sent": ("Đã gửi: {n}", "Sent: {n}"),
    "sync.failed": ("Gửi lỗi: {n}", "Failed: {n}"),
    "sync.rejected": ("Cần sửa: {n}", "To fix: {n}"),
    "sync.last_ok": ("Lần đồng bộ thành công gần nhất: {at}", "Last successful sync: {at}"),
    "sync.never": ("chưa có", "never"),
    "sync.last_ok_vn": ("Lần đồng bộ thành công gần nhất: {at} (giờ Việt Nam)", "Last successful sync: {at} (Vietnam time)"),
    "sync.retry": ("Đồng bộ ngay / Thử lại", "Sync now / Retry"),
    "sync.back": ("< Danh sách", "< List"),
    "sync.idle": ("Phiếu được giữ trên máy cho đến khi máy chủ xác nhận đã nhận.",
                  "Forms stay on the tablet until the server confirms receipt."),
    "sync.running": ("Đang đồng bộ…", "Syncing…"),
}


def tr(key: str, lang: str = "vi", **kw: object) -> str:
    vi, en = STRINGS.get(key, (key, key))
    text = en if lang == "en" else vi
    return text.format(**kw) if kw else text


def label(labels: dict[str, str] | None, lang: str, fallback: str = "") -> str:
    """A vi/en label from the form definition, Vietnamese when the English one is missing."""
    if not labels:
        return fallback
    return labels.get(lang) or labels.get("vi") or fallback
