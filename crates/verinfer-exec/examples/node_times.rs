//! Per-node times of a compiled model on one thread: `node_times MODEL [RUNS] [run]`.
//!
//! `MODEL` is a `.vmodel` file (run on inputs of ones) or the name of a bundled model
//! (`transformer_block`: compiled with its calibration data, run on its `input.json`). With
//! `run`, only loops over `Plan::run` (for `perf record`).
#![allow(clippy::unwrap_used, clippy::print_stdout, missing_docs)]

use std::time::{Duration, Instant};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let runs: usize = args.get(2).map_or(2000, |s| s.parse().unwrap());
    let (g, inputs) = if args[1].ends_with(".vmodel") {
        let g = verinfer_ir::vmodel::load(std::path::Path::new(&args[1])).unwrap();
        let ones = g
            .inputs
            .iter()
            .map(|i| vec![1; i.info.shape.numel()])
            .collect();
        (g, ones)
    } else {
        verinfer_testing::models::bundled(&args[1])
    };
    let plan = verinfer_exec::Plan::for_graph(g).unwrap();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    if args.get(3).is_some_and(|a| a == "run") {
        pool.install(|| {
            for _ in 0..runs {
                plan.run(&inputs).unwrap();
            }
        });
        return;
    }
    pool.install(|| {
        let n = plan.graph().num_values();
        let mut tot = vec![Duration::ZERO; n];
        let t0 = Instant::now();
        for _ in 0..runs {
            let mut last = Instant::now();
            plan.run_streaming(&inputs, |v, _| {
                let now = Instant::now();
                tot[v.index()] += now - last;
                last = now;
            })
            .unwrap();
        }
        let all = t0.elapsed();
        let mut sum = Duration::ZERO;
        for (v, t) in tot.iter().enumerate() {
            sum += *t;
            let name = v
                .checked_sub(plan.graph().inputs.len())
                .map_or("input".to_string(), |i| {
                    let nd = &plan.graph().nodes[i];
                    format!("{} {:?}", nd.name, nd.out.shape.dims())
                });
            println!("v{v:<3} {:>9.2?} {name}", *t / runs as u32);
        }
        println!(
            "sum {:?} whole run {:?}",
            sum / runs as u32,
            all / runs as u32
        );
        let t0 = Instant::now();
        for _ in 0..runs {
            plan.run(&inputs).unwrap();
        }
        println!("Plan::run {:?}", t0.elapsed() / runs as u32);
    });
}
