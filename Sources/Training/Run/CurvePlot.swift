// Loss and accuracy curves as a hand-written SVG (no plotting library): two panels, training
// and validation against optimiser steps, with a dashed line at every epoch end, like the
// plots of Raschka's chapter 6.
import Foundation

public enum CurvePlot {
    public struct Series {
        public let name: String
        public let color: String
        public let dashed: Bool
        public let points: [(x: Double, y: Double)]
    }

    /// The SVG text for `history` (empty history: an empty frame with a note).
    public static func svg(_ history: [EvaluationRecord], title: String = "") -> String {
        let epochEnds = history.filter { $0.kind == "epoch" }.map { Double($0.step) }
        let loss = [
            Series(name: "training", color: "#1f77b4", dashed: false, points: history.map { (Double($0.step), $0.trainLoss) }),
            Series(name: "validation", color: "#ff7f0e", dashed: true, points: history.map { (Double($0.step), $0.validationLoss) }),
        ]
        let accuracy = [
            Series(name: "training", color: "#1f77b4", dashed: false, points: history.map { (Double($0.step), 100 * $0.trainAccuracy) }),
            Series(name: "validation", color: "#ff7f0e", dashed: true, points: history.map { (Double($0.step), 100 * $0.validationAccuracy) }),
        ]
        let width = 960.0, height = 400.0
        var out = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" font-family="Helvetica, Arial, sans-serif" font-size="12">
        <rect width="100%" height="100%" fill="white"/>

        """
        if !title.isEmpty {
            out += "<text x=\"\(width / 2)\" y=\"20\" text-anchor=\"middle\" font-size=\"14\">\(escape(title))</text>\n"
        }
        out += panel(loss, title: "Loss", yLabel: "cross-entropy", yFloorZero: true, yCeiling: nil, epochEnds: epochEnds,
                     frame: (x: 60, y: 40, width: 380, height: 300))
        out += panel(accuracy, title: "Accuracy", yLabel: "accuracy (%)", yFloorZero: true, yCeiling: 100, epochEnds: epochEnds,
                     frame: (x: 560, y: 40, width: 380, height: 300))
        out += "</svg>\n"
        return out
    }

    static func panel(_ series: [Series], title: String, yLabel: String, yFloorZero: Bool, yCeiling: Double?,
                      epochEnds: [Double], frame: (x: Double, y: Double, width: Double, height: Double),
                      xLabel: String = "optimizer steps") -> String {
        let xs = series.flatMap { $0.points.map(\.x) }, ys = series.flatMap { $0.points.map(\.y) }.filter(\.isFinite)
        let xMax = max(1, xs.max() ?? 1)
        var yMin = yFloorZero ? 0 : (ys.min() ?? 0)
        var yMax = yCeiling ?? max(ys.max() ?? 1, yMin + 1e-6)
        if yCeiling == nil { yMax = niceCeiling(yMax) }
        if yMin >= yMax { yMin = yMax - 1 }
        func px(_ x: Double) -> Double { frame.x + x / xMax * frame.width }
        func py(_ y: Double) -> Double { frame.y + frame.height - (min(max(y, yMin), yMax) - yMin) / (yMax - yMin) * frame.height }
        var out = "<g>\n"
        out += "<text x=\"\(frame.x + frame.width / 2)\" y=\"\(frame.y - 8)\" text-anchor=\"middle\" font-size=\"13\">\(title)</text>\n"
        out += "<rect x=\"\(frame.x)\" y=\"\(frame.y)\" width=\"\(frame.width)\" height=\"\(frame.height)\" fill=\"none\" stroke=\"#444\"/>\n"
        for k in 0...4 {
            let y = yMin + (yMax - yMin) * Double(k) / 4
            let yy = fmt(py(y))
            out += "<line x1=\"\(frame.x)\" y1=\"\(yy)\" x2=\"\(frame.x + frame.width)\" y2=\"\(yy)\" stroke=\"#ddd\"/>\n"
            out += "<text x=\"\(frame.x - 6)\" y=\"\(yy)\" text-anchor=\"end\" dominant-baseline=\"middle\">\(label(y))</text>\n"
        }
        for k in 0...4 {
            let x = xMax * Double(k) / 4
            out += "<text x=\"\(fmt(px(x)))\" y=\"\(frame.y + frame.height + 16)\" text-anchor=\"middle\">\(xMax <= 1 ? label(x) : String(Int(x.rounded())))</text>\n"
        }
        // An "epoch N" label is about 50 px wide: with many epochs only every k-th is labelled,
        // so the labels never overlap (every epoch keeps its line).
        let labelEvery = epochEnds.isEmpty ? 1 : max(1, Int((55 * Double(epochEnds.count) / frame.width).rounded(.up)))
        for (n, end) in epochEnds.enumerated() {
            let x = fmt(px(end))
            out += "<line x1=\"\(x)\" y1=\"\(frame.y)\" x2=\"\(x)\" y2=\"\(frame.y + frame.height)\" stroke=\"#999\" stroke-dasharray=\"2,4\"/>\n"
            if (n + 1) % labelEvery == 0 {
                out += "<text x=\"\(x)\" y=\"\(frame.y + 12)\" text-anchor=\"end\" font-size=\"10\" fill=\"#777\">epoch \(n + 1) </text>\n"
            }
        }
        out += "<text x=\"\(frame.x + frame.width / 2)\" y=\"\(frame.y + frame.height + 34)\" text-anchor=\"middle\">\(xLabel)</text>\n"
        out += "<text transform=\"translate(\(frame.x - 44) \(frame.y + frame.height / 2)) rotate(-90)\" text-anchor=\"middle\">\(yLabel)</text>\n"
        for s in series where !s.points.isEmpty {
            let path = s.points.filter { $0.y.isFinite }.map { "\(fmt(px($0.x))),\(fmt(py($0.y)))" }.joined(separator: " ")
            out += "<polyline points=\"\(path)\" fill=\"none\" stroke=\"\(s.color)\" stroke-width=\"1.8\"\(s.dashed ? " stroke-dasharray=\"6,3\"" : "")/>\n"
            // Markers only while they stay apart (about 4 px each); the line alone beyond that.
            for p in s.points where p.y.isFinite && s.points.count <= Int(frame.width / 4) {
                out += "<circle cx=\"\(fmt(px(p.x)))\" cy=\"\(fmt(py(p.y)))\" r=\"2\" fill=\"\(s.color)\"/>\n"
            }
        }
        // Legend, top right.
        for (n, s) in series.enumerated() {
            let y = frame.y + 16 + Double(n) * 16, x = frame.x + frame.width - 110
            out += "<line x1=\"\(x)\" y1=\"\(y)\" x2=\"\(x + 24)\" y2=\"\(y)\" stroke=\"\(s.color)\" stroke-width=\"2\"\(s.dashed ? " stroke-dasharray=\"6,3\"" : "")/>\n"
            out += "<text x=\"\(x + 30)\" y=\"\(y)\" dominant-baseline=\"middle\">\(s.name)</text>\n"
        }
        return out + "</g>\n"
    }

    /// 0.73 → 0.8, 2.3 → 2.5, 13 → 15: a round top for the axis.
    static func niceCeiling(_ x: Double) -> Double {
        guard x > 0, x.isFinite else { return 1 }
        let magnitude = pow(10, floor(log10(x)))
        for step in [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10] where step * magnitude >= x { return step * magnitude }
        return 10 * magnitude
    }

    private static func fmt(_ x: Double) -> String { String(format: "%.1f", x) }
    private static func label(_ y: Double) -> String { abs(y) >= 10 ? String(format: "%.0f", y) : String(format: "%.2f", y) }
    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}
