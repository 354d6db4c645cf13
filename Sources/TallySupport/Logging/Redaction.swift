/// Returns `url` with the password of its user information replaced by `***`, such as
/// `amqp://tally:***@broker:5672/%2f` for `amqp://tally:secret@broker:5672/%2f`.
///
/// Only URLs with a `scheme://` prefix are changed. A URL without a password comes back
/// unchanged.
public func redactingPassword(inURL url: String) -> String {
    guard let schemeEnd = url.range(of: "://") else { return url }

    let authorityStart = schemeEnd.upperBound
    let authorityEnd = url[authorityStart...].firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? url.endIndex
    let authority = url[authorityStart..<authorityEnd]

    // The host cannot contain "@", so the last one ends the user information, even when
    // an unencoded "@" appears in the password.
    guard let userInfoEnd = authority.lastIndex(of: "@"),
        let passwordSeparator = authority[..<userInfoEnd].firstIndex(of: ":")
    else {
        return url
    }

    let passwordStart = url.index(after: passwordSeparator)
    return String(url[..<passwordStart]) + "***" + String(url[userInfoEnd...])
}

extension Logger.MetadataValue {
    /// Returns a metadata value for `url` with its password replaced by `***`.
    public static func redactedURL(_ url: String) -> Logger.MetadataValue {
        .string(redactingPassword(inURL: url))
    }
}
