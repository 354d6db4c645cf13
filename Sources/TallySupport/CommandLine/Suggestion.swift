/// Returns the candidate closest to `typed`, for a "Did you mean ...?" hint, or nil when
/// none is close enough.
///
/// The distance is the optimal string alignment distance, in which swapping two
/// neighbouring characters counts as one edit. A candidate of up to 4 characters matches
/// at distance 1, a longer one at distance 2. Failing that, a `typed` of at least 3
/// characters matches the only candidate it is a prefix of.
func closestMatch(to typed: String, in candidates: [String]) -> String? {
    var best: (candidate: String, distance: Int)?
    for candidate in candidates {
        let distance = editDistance(typed, candidate)
        let allowed = candidate.count <= 4 ? 1 : 2
        if distance <= allowed, distance < (best?.distance ?? Int.max) {
            best = (candidate, distance)
        }
    }
    if let best { return best.candidate }

    let extensions = candidates.filter { $0.hasPrefix(typed) }
    if typed.count >= 3, extensions.count == 1 {
        return extensions[0]
    }
    return nil
}

/// Optimal string alignment distance: insertions, deletions, substitutions and swaps of
/// two neighbouring characters each cost 1.
func editDistance(_ source: String, _ target: String) -> Int {
    let source = Array(source)
    let target = Array(target)
    if source.isEmpty { return target.count }
    if target.isEmpty { return source.count }

    // distances[i][j] is the distance between the first i characters of source and the
    // first j characters of target.
    var distances = Array(repeating: Array(repeating: 0, count: target.count + 1), count: source.count + 1)
    for i in 0...source.count { distances[i][0] = i }
    for j in 0...target.count { distances[0][j] = j }

    for i in 1...source.count {
        for j in 1...target.count {
            let substitution = source[i - 1] == target[j - 1] ? 0 : 1
            var distance = min(
                distances[i - 1][j] + 1,
                distances[i][j - 1] + 1,
                distances[i - 1][j - 1] + substitution
            )
            if i > 1, j > 1, source[i - 1] == target[j - 2], source[i - 2] == target[j - 1] {
                distance = min(distance, distances[i - 2][j - 2] + 1)
            }
            distances[i][j] = distance
        }
    }
    return distances[source.count][target.count]
}
