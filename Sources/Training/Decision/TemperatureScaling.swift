// Temperature scaling (Guo et al. 2017): one T > 0 dividing every logit, chosen to minimise the
// mean negative log-likelihood on validation. In β = 1/T the NLL is convex (a log-sum-exp, or a
// softplus, of functions linear in β), so Newton's method on β with exact first and second
// derivatives finds the minimum; a step that leaves (0, ∞) or raises the NLL is halved.
//   softmax:  f(β) = mean[lse(β·z) − β·z_y]       f' = mean[E_p z − z_y]          f'' = mean[Var_p z]
//   sigmoid:  f(β) = mean[softplus(β·x) − y·β·x]   f' = mean[(σ(βx) − y)·x]         f'' = mean[σ(1−σ)·x²]
// (the sigmoid form averages over every text and label, as BCEWithLogitsLoss does).
import Foundation

public enum TemperatureScaling {
    /// The temperature minimising the NLL of `logits` (rows of `classes`) against the truth:
    /// `labels` (one class per row, softmax) or `targets` (class ids per row, sigmoid).
    public static func fit(logits: [[Float]], labels: [Int]? = nil, targets: [[Int]]? = nil) -> Float {
        let objective = Objective(logits: logits, labels: labels, targets: targets)
        var beta = 1.0
        var (value, slope, curvature) = objective.evaluate(beta)
        for _ in 0..<100 {
            guard curvature > 0, abs(slope) > 1e-12 else { break }
            var step = slope / curvature
            var next = beta - step
            var nextValue = objective.evaluateIfPositive(next)
            var halvings = 0
            while !(nextValue.0 <= value), halvings < 60 {
                step /= 2
                next = beta - step
                nextValue = objective.evaluateIfPositive(next)
                halvings += 1
            }
            guard nextValue.0 <= value else { break }
            let converged = abs(next - beta) <= 1e-10 * max(1, beta)
            beta = next
            (value, slope, curvature) = nextValue
            if converged { break }
        }
        return Float(1 / beta)
    }

    /// The mean NLL at temperature `t`.
    public static func negativeLogLikelihood(logits: [[Float]], labels: [Int]? = nil, targets: [[Int]]? = nil, temperature t: Float) -> Double {
        Objective(logits: logits, labels: labels, targets: targets).evaluate(1 / Double(t)).value
    }

    struct Objective {
        let logits: [[Float]]
        let labels: [Int]?
        let targets: [Set<Int>]?

        init(logits: [[Float]], labels: [Int]?, targets: [[Int]]?) {
            self.logits = logits
            self.labels = labels
            self.targets = targets.map { $0.map(Set.init) }
        }

        /// f, f' and f'' at β > 0; an infinite f elsewhere (outside the domain).
        func evaluateIfPositive(_ beta: Double) -> (value: Double, slope: Double, curvature: Double) {
            beta > 0 ? evaluate(beta) : (value: .infinity, slope: 0, curvature: 0)
        }

        /// f, f' and f'' at β.
        func evaluate(_ beta: Double) -> (value: Double, slope: Double, curvature: Double) {
            var f = 0.0, d1 = 0.0, d2 = 0.0, n = 0
            for (r, row) in logits.enumerated() {
                if let targets {
                    for (c, logit) in row.enumerated() {
                        let x = Double(logit), y = targets[r].contains(c) ? 1.0 : 0.0
                        let z = beta * x
                        f += max(z, 0) + Foundation.log1p(Foundation.exp(-abs(z))) - y * z
                        let s = 1 / (1 + Foundation.exp(-z))
                        d1 += (s - y) * x
                        d2 += s * (1 - s) * x * x
                        n += 1
                    }
                } else if let labels {
                    let z = row.map { beta * Double($0) }
                    let top = z.max() ?? 0
                    let exps = z.map { Foundation.exp($0 - top) }
                    let sum = exps.reduce(0, +)
                    var mean = 0.0, square = 0.0
                    for (c, e) in exps.enumerated() {
                        let p = e / sum, x = Double(row[c])
                        mean += p * x
                        square += p * x * x
                    }
                    f += top + Foundation.log(sum) - z[labels[r]]
                    d1 += mean - Double(row[labels[r]])
                    d2 += square - mean * mean
                    n += 1
                }
            }
            let count = Double(max(1, n))
            return (f / count, d1 / count, d2 / count)
        }
    }
}
