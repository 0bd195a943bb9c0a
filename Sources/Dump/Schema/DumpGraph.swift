import Support

/// A catalog object identity: (catalog table OID, object OID). Synthetic items (table attach,
/// matview refresh, sequence set) use `Catalog.synthetic` as their class.
struct CatKey: Hashable, Comparable, Sendable {
    var classid: UInt32
    var oid: UInt32
    static func < (a: CatKey, b: CatKey) -> Bool { (a.classid, a.oid) < (b.classid, b.oid) }
}

/// System catalog OIDs (stable across PostgreSQL versions).
enum Catalog {
    static let synthetic: UInt32 = 0
    static let pgClass: UInt32 = 1259
    static let pgType: UInt32 = 1247
    static let pgProc: UInt32 = 1255
    static let pgNamespace: UInt32 = 2615
    static let pgConstraint: UInt32 = 2606
    static let pgTrigger: UInt32 = 2620
    static let pgRewrite: UInt32 = 2618
    static let pgAttrdef: UInt32 = 2604
    static let pgExtension: UInt32 = 3079
    static let pgCollation: UInt32 = 3456
    static let pgTSConfig: UInt32 = 3602
    static let pgTSDict: UInt32 = 3600
    static let pgTSParser: UInt32 = 3601
    static let pgTSTemplate: UInt32 = 3764
    static let pgStatisticExt: UInt32 = 3381
    static let pgPolicy: UInt32 = 3256
    static let pgEventTrigger: UInt32 = 3466
    static let pgPublication: UInt32 = 6104
    static let pgPublicationRel: UInt32 = 6106
    static let pgPublicationNamespace: UInt32 = 6237
    static let pgLargeObjectMetadata: UInt32 = 2613
    static let pgDefaultACL: UInt32 = 826
    static let pgSubscription: UInt32 = 6100
    static let pgLanguage: UInt32 = 2612
    static let pgOperator: UInt32 = 2617
    static let pgOpclass: UInt32 = 2616
    static let pgOpfamily: UInt32 = 2753
    static let pgCast: UInt32 = 2605
    static let pgAmop: UInt32 = 2602
    static let pgAmproc: UInt32 = 2603
    static let pgForeignDataWrapper: UInt32 = 2328
    static let pgForeignServer: UInt32 = 1417
    static let pgUserMapping: UInt32 = 1418
}

/// Object kinds in pg_dump_sort.c's priority order: the sort keeps this order wherever
/// dependencies allow it. Kinds from `.constraint` on are post-data.
enum ObjKind: Int, Comparable, Sendable {
    case namespace = 1, collation, `extension`, type, cast, function, aggregate, `operator`, opfamily, opclass, tsParser, tsTemplate, tsDict, tsConfig
    case foreignDataWrapper, foreignServer
    case table, tableAttach, attrdef, largeObject
    case sequenceSet, constraint, index, indexAttach, statistics, rule, trigger, fkConstraint, policy
    case publication, publicationRel, defaultACL, eventTrigger, refreshMatview

    static func < (a: ObjKind, b: ObjKind) -> Bool { a.rawValue < b.rawValue }
    var isPostData: Bool { self >= .sequenceSet }
}

/// One emitted unit of SQL with what it needs to exist first.
struct DumpItem {
    var key: CatKey
    var kind: ObjKind
    var schema: String
    var name: String
    var sql: String
    var deps: Set<CatKey> = []
}

/// Orders items like pg_dump: by kind priority, schema and name, then moved as little as needed
/// to put every item after what it depends on (Kahn's algorithm with a priority queue).
enum DumpSorter {
    /// Returns items in restore order; `cycles` names items emitted before a dependency because
    /// of a dependency loop (should not happen for catalogs PostgreSQL itself accepted).
    static func sort(_ items: [DumpItem], cycles: inout [String]) -> [DumpItem] {
        let order = items.indices.sorted { a, b in
            let x = items[a], y = items[b]
            return (x.kind.rawValue, x.schema, x.name, x.key.classid, x.key.oid)
                < (y.kind.rawValue, y.schema, y.name, y.key.classid, y.key.oid)
        }
        var rank = [Int](repeating: 0, count: items.count)
        for (r, i) in order.enumerated() { rank[i] = r }
        var byKey: [CatKey: [Int]] = [:]
        for (i, item) in items.enumerated() { byKey[item.key, default: []].append(i) }
        var pending = [Int](repeating: 0, count: items.count)
        var dependents = [[Int]](repeating: [], count: items.count)
        for (i, item) in items.enumerated() {
            for dep in item.deps {
                for j in byKey[dep] ?? [] where j != i {
                    pending[i] += 1
                    dependents[j].append(i)
                }
            }
        }
        var heap = MinHeap()
        for i in items.indices where pending[i] == 0 { heap.push(rank[i]) }
        var done = [Bool](repeating: false, count: items.count)
        var out: [DumpItem] = []
        out.reserveCapacity(items.count)
        while out.count < items.count {
            var next: Int
            if let r = heap.pop() {
                next = order[r]
                if done[next] { continue }
            } else {
                // A loop: release the first remaining item in priority order.
                guard let r = order.firstIndex(where: { !done[$0] }) else { break }
                next = order[r]
                cycles.append("\(items[next].kind) \(items[next].schema).\(items[next].name)")
            }
            done[next] = true
            out.append(items[next])
            for d in dependents[next] where !done[d] {
                pending[d] -= 1
                if pending[d] == 0 { heap.push(rank[d]) }
            }
        }
        return out
    }
}

/// A binary min-heap of Ints.
struct MinHeap {
    private var a: [Int] = []
    mutating func push(_ v: Int) {
        a.append(v)
        var i = a.count - 1
        while i > 0 {
            let p = (i - 1) / 2
            if a[p] <= a[i] { break }
            a.swapAt(p, i); i = p
        }
    }
    mutating func pop() -> Int? {
        guard !a.isEmpty else { return nil }
        let top = a[0]
        let last = a.removeLast()
        if !a.isEmpty {
            a[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < a.count && a[l] < a[m] { m = l }
                if r < a.count && a[r] < a[m] { m = r }
                if m == i { break }
                a.swapAt(m, i); i = m
            }
        }
        return top
    }
}
