/// Where the views drew what (`HitTarget`), recorded as they draw into the canvas: the app keeps
/// the last frame's map and turns a mouse event's cell into what the person saw there, so a click
/// never lands on a row that has moved since.
public struct HitMap: Sendable, Equatable {
    public struct Region: Sendable, Equatable {
        public var rect: Rect
        public var target: HitTarget
    }

    /// In drawing order: a later region lies over an earlier one (a friend's row over the list).
    public private(set) var regions: [Region] = []

    public init() {}

    public mutating func add(_ rect: Rect, _ target: HitTarget) {
        guard !rect.isEmpty else { return }
        regions.append(Region(rect: rect, target: target))
    }

    /// What is drawn at the cell (x, y): the region drawn last that holds it.
    public func target(atX x: Int, y: Int) -> HitTarget? {
        regions.last { x >= $0.rect.x && x < $0.rect.maxX && y >= $0.rect.y && y < $0.rect.maxY }?.target
    }
}
