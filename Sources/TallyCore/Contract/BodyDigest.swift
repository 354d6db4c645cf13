/// The digest that identifies a command's body in the inbox: SHA-256 of the bytes as received.
public enum BodyDigest {
    public static func sha256(_ body: [UInt8]) -> [UInt8] {
        SHA256.digest(body)
    }
}
