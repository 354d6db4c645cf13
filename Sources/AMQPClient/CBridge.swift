import CRabbitMQ
import Foundation

// Conversions between Swift values and librabbitmq's C structures.

extension amqp_bytes_t {
    /// Copies the bytes into a string, replacing invalid UTF-8 with U+FFFD.
    var string: String {
        guard len > 0, let bytes else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: bytes, count: len), as: UTF8.self)
    }

    /// Copies the bytes into an array.
    var byteArray: [UInt8] {
        guard len > 0, let bytes else { return [] }
        return [UInt8](UnsafeRawBufferPointer(start: bytes, count: len))
    }
}

/// Calls `body` with an `amqp_bytes_t` that borrows the UTF-8 of `string`; the bytes are valid
/// only inside `body`.
@inline(__always)
func withAMQPBytes<Result>(_ string: String, _ body: (amqp_bytes_t) throws -> Result) rethrows
    -> Result
{
    var string = string
    return try string.withUTF8 { buffer in
        try body(amqp_bytes_t(len: buffer.count, bytes: UnsafeMutableRawPointer(mutating: buffer.baseAddress)))
    }
}

extension timeval {
    /// The duration, clamped at zero, with microsecond precision.
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        if seconds < 0 || (seconds == 0 && attoseconds < 0) {
            self.init(tv_sec: 0, tv_usec: 0)
        } else {
            self.init(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
        }
    }
}

/// A librabbitmq memory pool for encoding arguments and properties before a call.
///
/// Strings and tables are copied into the pool; `recycle()` after the call keeps the pages
/// for the next one, so steady publishing allocates nothing here.
final class EncodingPool {
    private let pool: UnsafeMutablePointer<amqp_pool_t>

    init() {
        pool = .allocate(capacity: 1)
        init_amqp_pool(pool, 4096)
    }

    deinit {
        empty_amqp_pool(pool)
        pool.deallocate()
    }

    func recycle() {
        recycle_amqp_pool(pool)
    }

    private func allocate<T>(_ type: T.Type, count: Int) -> UnsafeMutablePointer<T> {
        // amqp_pool_alloc rounds sizes up to 8 bytes, which aligns every C type used here.
        guard let raw = amqp_pool_alloc(pool, MemoryLayout<T>.stride * count) else {
            fatalError("librabbitmq pool allocation of \(MemoryLayout<T>.stride * count) bytes failed")
        }
        return raw.bindMemory(to: T.self, capacity: count)
    }

    func bytes(_ string: String) -> amqp_bytes_t {
        let count = string.utf8.count
        guard count > 0 else { return amqp_empty_bytes }
        let target = allocate(UInt8.self, count: count)
        var string = string
        string.withUTF8 { source in
            target.update(from: source.baseAddress!, count: count)
        }
        return amqp_bytes_t(len: count, bytes: UnsafeMutableRawPointer(target))
    }

    func bytes(_ array: [UInt8]) -> amqp_bytes_t {
        guard !array.isEmpty else { return amqp_empty_bytes }
        let target = allocate(UInt8.self, count: array.count)
        array.withUnsafeBufferPointer { source in
            target.update(from: source.baseAddress!, count: array.count)
        }
        return amqp_bytes_t(len: array.count, bytes: UnsafeMutableRawPointer(target))
    }

    func table(_ table: FieldTable) -> amqp_table_t {
        guard !table.isEmpty else { return amqp_empty_table }
        let entries = allocate(amqp_table_entry_t.self, count: table.count)
        for (index, entry) in table.enumerated() {
            entries[index] = amqp_table_entry_t(key: bytes(entry.key), value: value(entry.value))
        }
        return amqp_table_t(num_entries: Int32(table.count), entries: entries)
    }

    func value(_ value: FieldValue) -> amqp_field_value_t {
        var field = amqp_field_value_t()
        switch value {
        case .bool(let v):
            field.kind = UInt8(ascii: "t")
            field.value.boolean = v ? 1 : 0
        case .int8(let v):
            field.kind = UInt8(ascii: "b")
            field.value.i8 = v
        case .uint8(let v):
            field.kind = UInt8(ascii: "B")
            field.value.u8 = v
        case .int16(let v):
            field.kind = UInt8(ascii: "s")
            field.value.i16 = v
        case .uint16(let v):
            field.kind = UInt8(ascii: "u")
            field.value.u16 = v
        case .int32(let v):
            field.kind = UInt8(ascii: "I")
            field.value.i32 = v
        case .uint32(let v):
            field.kind = UInt8(ascii: "i")
            field.value.u32 = v
        case .int64(let v):
            field.kind = UInt8(ascii: "l")
            field.value.i64 = v
        case .float(let v):
            field.kind = UInt8(ascii: "f")
            field.value.f32 = v
        case .double(let v):
            field.kind = UInt8(ascii: "d")
            field.value.f64 = v
        case .decimal(let scale, let v):
            field.kind = UInt8(ascii: "D")
            field.value.decimal = amqp_decimal_t(decimals: scale, value: v)
        case .string(let v):
            field.kind = UInt8(ascii: "S")
            field.value.bytes = bytes(v)
        case .bytes(let v):
            field.kind = UInt8(ascii: "x")
            field.value.bytes = bytes(v)
        case .array(let elements):
            field.kind = UInt8(ascii: "A")
            var array = amqp_array_t(num_entries: 0, entries: nil)
            if !elements.isEmpty {
                let entries = allocate(amqp_field_value_t.self, count: elements.count)
                for (index, element) in elements.enumerated() {
                    entries[index] = self.value(element)
                }
                array = amqp_array_t(num_entries: Int32(elements.count), entries: entries)
            }
            field.value.array = array
        case .table(let nested):
            field.kind = UInt8(ascii: "F")
            field.value.table = table(nested)
        case .timestamp(let date):
            field.kind = UInt8(ascii: "T")
            field.value.u64 = UInt64(max(0, date.timeIntervalSince1970.rounded(.down)))
        case .void:
            field.kind = UInt8(ascii: "V")
        }
        return field
    }

    /// Encodes the properties; the strings and headers stay valid until `recycle()`.
    func properties(_ properties: MessageProperties) -> amqp_basic_properties_t {
        var result = amqp_basic_properties_t()
        var flags: amqp_flags_t = 0
        if let v = properties.contentType {
            result.content_type = bytes(v)
            flags |= TALLY_AMQP_BASIC_CONTENT_TYPE_FLAG
        }
        if let v = properties.contentEncoding {
            result.content_encoding = bytes(v)
            flags |= TALLY_AMQP_BASIC_CONTENT_ENCODING_FLAG
        }
        if !properties.headers.isEmpty {
            result.headers = table(properties.headers)
            flags |= TALLY_AMQP_BASIC_HEADERS_FLAG
        }
        if properties.persistent {
            result.delivery_mode = UInt8(AMQP_DELIVERY_PERSISTENT.rawValue)
            flags |= TALLY_AMQP_BASIC_DELIVERY_MODE_FLAG
        }
        if let v = properties.priority {
            result.priority = v
            flags |= TALLY_AMQP_BASIC_PRIORITY_FLAG
        }
        if let v = properties.correlationID {
            result.correlation_id = bytes(v)
            flags |= TALLY_AMQP_BASIC_CORRELATION_ID_FLAG
        }
        if let v = properties.replyTo {
            result.reply_to = bytes(v)
            flags |= TALLY_AMQP_BASIC_REPLY_TO_FLAG
        }
        if let v = properties.expiration {
            result.expiration = bytes(v)
            flags |= TALLY_AMQP_BASIC_EXPIRATION_FLAG
        }
        if let v = properties.messageID {
            result.message_id = bytes(v)
            flags |= TALLY_AMQP_BASIC_MESSAGE_ID_FLAG
        }
        if let v = properties.timestamp {
            result.timestamp = UInt64(max(0, v.timeIntervalSince1970.rounded(.down)))
            flags |= TALLY_AMQP_BASIC_TIMESTAMP_FLAG
        }
        if let v = properties.type {
            result.type = bytes(v)
            flags |= TALLY_AMQP_BASIC_TYPE_FLAG
        }
        if let v = properties.userID {
            result.user_id = bytes(v)
            flags |= TALLY_AMQP_BASIC_USER_ID_FLAG
        }
        if let v = properties.appID {
            result.app_id = bytes(v)
            flags |= TALLY_AMQP_BASIC_APP_ID_FLAG
        }
        result._flags = flags
        return result
    }
}

extension FieldTable {
    /// Copies a decoded C table.
    init(_ table: amqp_table_t) {
        self.init()
        guard table.num_entries > 0, let entries = table.entries else { return }
        for index in 0..<Int(table.num_entries) {
            appendUnchecked(entries[index].key.string, FieldValue(entries[index].value))
        }
    }
}

extension FieldValue {
    /// Copies a decoded C value. librabbitmq reads 'l' as signed 64-bit (RabbitMQ's meaning)
    /// and 'L' as unsigned; RabbitMQ never sends 'L', so a value above Int64.max keeps its bit
    /// pattern in `.int64`.
    init(_ field: amqp_field_value_t) {
        switch field.kind {
        case UInt8(ascii: "t"): self = .bool(field.value.boolean != 0)
        case UInt8(ascii: "b"): self = .int8(field.value.i8)
        case UInt8(ascii: "B"): self = .uint8(field.value.u8)
        case UInt8(ascii: "s"): self = .int16(field.value.i16)
        case UInt8(ascii: "u"): self = .uint16(field.value.u16)
        case UInt8(ascii: "I"): self = .int32(field.value.i32)
        case UInt8(ascii: "i"): self = .uint32(field.value.u32)
        case UInt8(ascii: "l"): self = .int64(field.value.i64)
        case UInt8(ascii: "L"): self = .int64(Int64(bitPattern: field.value.u64))
        case UInt8(ascii: "f"): self = .float(field.value.f32)
        case UInt8(ascii: "d"): self = .double(field.value.f64)
        case UInt8(ascii: "D"):
            self = .decimal(scale: field.value.decimal.decimals, value: field.value.decimal.value)
        case UInt8(ascii: "S"): self = .string(field.value.bytes.string)
        case UInt8(ascii: "x"): self = .bytes(field.value.bytes.byteArray)
        case UInt8(ascii: "A"):
            let array = field.value.array
            var elements: [FieldValue] = []
            if array.num_entries > 0, let entries = array.entries {
                elements.reserveCapacity(Int(array.num_entries))
                for index in 0..<Int(array.num_entries) {
                    elements.append(FieldValue(entries[index]))
                }
            }
            self = .array(elements)
        case UInt8(ascii: "F"): self = .table(FieldTable(field.value.table))
        case UInt8(ascii: "T"):
            self = .timestamp(Date(timeIntervalSince1970: TimeInterval(field.value.u64)))
        default: self = .void
        }
    }
}

extension MessageProperties {
    /// Copies decoded C properties.
    init(_ c: amqp_basic_properties_t) {
        self.init()
        let flags = c._flags
        func has(_ flag: amqp_flags_t) -> Bool { flags & flag != 0 }
        if has(TALLY_AMQP_BASIC_CONTENT_TYPE_FLAG) { contentType = c.content_type.string }
        if has(TALLY_AMQP_BASIC_CONTENT_ENCODING_FLAG) { contentEncoding = c.content_encoding.string }
        if has(TALLY_AMQP_BASIC_HEADERS_FLAG) { headers = FieldTable(c.headers) }
        if has(TALLY_AMQP_BASIC_DELIVERY_MODE_FLAG) {
            persistent = c.delivery_mode == UInt8(AMQP_DELIVERY_PERSISTENT.rawValue)
        }
        if has(TALLY_AMQP_BASIC_PRIORITY_FLAG) { priority = c.priority }
        if has(TALLY_AMQP_BASIC_CORRELATION_ID_FLAG) { correlationID = c.correlation_id.string }
        if has(TALLY_AMQP_BASIC_REPLY_TO_FLAG) { replyTo = c.reply_to.string }
        if has(TALLY_AMQP_BASIC_EXPIRATION_FLAG) { expiration = c.expiration.string }
        if has(TALLY_AMQP_BASIC_MESSAGE_ID_FLAG) { messageID = c.message_id.string }
        if has(TALLY_AMQP_BASIC_TIMESTAMP_FLAG) {
            timestamp = Date(timeIntervalSince1970: TimeInterval(c.timestamp))
        }
        if has(TALLY_AMQP_BASIC_TYPE_FLAG) { type = c.type.string }
        if has(TALLY_AMQP_BASIC_USER_ID_FLAG) { userID = c.user_id.string }
        if has(TALLY_AMQP_BASIC_APP_ID_FLAG) { appID = c.app_id.string }
    }
}
