//! The models a node holds: every `*.vmodel` of a directory, indexed by model id, with the
//! key directory `<name>.keys/` beside it when `verinfer setup` wrote one (of any registered
//! proof backend, [`crate::backends`]). A language model's step graph (`verinfer compile
//! M.gguf`) is recognised by its layout and held apart, for text requests and generation
//! claims: it is never answered or checked as a tensor model.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use alloy_primitives::B256;
use verinfer_ir::Graph;
use verinfer_opml::generation::GenModel;
use verinfer_opml::ServedModel;
use verinfer_prove::{AnyKey, DynBackend, Vis, Visibility};
use verinfer_zk::files::{self, KeyManifest};

use crate::error::{NodeError, Result};

/// Proof keys of one model and the backend they belong to (the proving key is loaded on
/// first use).
pub struct ZkKeys {
    /// The key directory.
    pub dir: PathBuf,
    /// Its manifest.
    pub manifest: KeyManifest,
    /// The visibility the keys were made for.
    pub visibility: Visibility,
    /// The backend the manifest names.
    pub backend: Box<dyn DynBackend>,
    pk: Option<AnyKey>,
}

impl std::fmt::Debug for ZkKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ZkKeys")
            .field("dir", &self.dir)
            .field("backend", &self.backend.name())
            .field("visibility", &self.visibility)
            .field("loaded", &self.pk.is_some())
            .finish_non_exhaustive()
    }
}

impl ZkKeys {
    /// The backend and the proving key, loaded once.
    ///
    /// # Errors
    /// [`NodeError::Models`] for a missing or malformed key file.
    pub fn proving_key(&mut self) -> Result<(&dyn DynBackend, &AnyKey)> {
        let err = |message: String| NodeError::Models {
            path: self.dir.clone(),
            message,
        };
        if self.pk.is_none() {
            let bytes = files::read_proving_key_bytes(&self.dir).map_err(|e| err(e.to_string()))?;
            let pk = self
                .backend
                .read_proving_key_for_many(&bytes)
                .map_err(|e| err(format!("proving.key: {e}")))?;
            self.pk = Some(pk);
        }
        match &self.pk {
            Some(pk) => Ok((self.backend.as_ref(), pk)),
            None => Err(err("proving key not loaded".into())),
        }
    }

    /// Whether the oracle can take proofs made with these keys: its public-input layout packs
    /// the input and output values themselves, so both classes must be public.
    pub fn oracle_compatible(&self) -> bool {
        self.visibility.input == Vis::Public && self.visibility.output == Vis::Public
    }
}

/// One model the node holds.
#[derive(Debug)]
pub struct HeldModel {
    /// Its id (Keccak Merkle commitment of graph and parameters), as the contracts see it.
    pub id: B256,
    /// The file it was loaded from.
    pub path: PathBuf,
    /// The model, planned and committed once: every request runs on this (no copy of the
    /// weights, no re-validation, no re-hashing per request).
    pub served: ServedModel,
    /// Its proof keys, if a `<name>.keys/` directory made for this model sits beside it.
    pub keys: Option<ZkKeys>,
    /// Why a key directory beside it was not used (logged at load).
    pub keys_note: Option<String>,
}

impl HeldModel {
    /// The compiled graph.
    pub fn graph(&self) -> &Graph {
        self.served.graph()
    }

    /// The file stem, for logs and the status page.
    pub fn name(&self) -> String {
        self.path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default()
    }
}

/// Every model of a directory, by id.
#[derive(Debug, Default)]
pub struct ModelStore {
    models: BTreeMap<B256, HeldModel>,
    gen: BTreeMap<B256, HeldGenModel>,
}

/// A language model's step graph the node serves generations of.
#[derive(Debug, Clone)]
pub struct HeldGenModel {
    /// Its id (the step graph's commitment), as `GenerationGame` and the registry see it.
    pub id: B256,
    /// The file it was loaded from.
    pub path: PathBuf,
    /// The step graph, planned and committed once, with its session engine.
    pub model: Arc<GenModel>,
}

/// The model id of `graph` as a `bytes32`.
pub fn model_id_of(graph: &Graph) -> B256 {
    verinfer_opml::convert::b256(verinfer_commit::ModelCommitment::new(graph).model_id.hash())
}

impl ModelStore {
    /// Loads every `*.vmodel` in `dir` (a file that does not load is logged and skipped) and
    /// the key directory `<stem>.keys/` of each, if present and made for that model.
    ///
    /// # Errors
    /// [`NodeError::Models`] when `dir` cannot be read or holds no model that loads.
    pub fn load_dir(dir: &Path) -> Result<Self> {
        let err = |message: String| NodeError::Models {
            path: dir.to_path_buf(),
            message,
        };
        let entries = std::fs::read_dir(dir).map_err(|e| err(e.to_string()))?;
        let mut paths: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "vmodel") && p.is_file())
            .collect();
        paths.sort();
        let mut store = Self::default();
        for path in paths {
            let loaded = verinfer_ir::vmodel::load(&path)
                .map_err(|e| e.to_string())
                .and_then(|graph| store.insert(path.clone(), graph).map_err(|e| e.to_string()));
            if let Err(e) = loaded {
                tracing::warn!(path = %path.display(), error = %e, "model skipped");
            }
        }
        if store.models.is_empty() && store.gen.is_empty() {
            return Err(err("no loadable *.vmodel file in this directory".into()));
        }
        Ok(store)
    }

    /// Adds `graph` (loaded from `path`; its keys are looked for beside it), planned and
    /// committed once. Returns its id.
    ///
    /// # Errors
    /// [`NodeError::Models`] for a graph that does not validate or that the executor cannot
    /// plan.
    pub fn insert(&mut self, path: PathBuf, graph: Graph) -> Result<B256> {
        if verinfer_llm::Layout::of_graph(&graph).is_ok() {
            return self.insert_gen(path, graph);
        }
        let served = verinfer_ir::Model::new(graph)
            .map_err(|e| e.to_string())
            .and_then(|m| ServedModel::new(m).map_err(|e| e.to_string()))
            .map_err(|message| NodeError::Models {
                path: path.clone(),
                message,
            })?;
        let id = verinfer_opml::convert::b256(served.commitment().model_id.hash());
        let (keys, keys_note) = Self::keys_for(&path, &served);
        tracing::info!(
            model = %id,
            path = %path.display(),
            zk_keys = keys.is_some(),
            "model loaded"
        );
        if let Some(n) = &keys_note {
            tracing::warn!(model = %id, "{n}");
        }
        self.models.insert(
            id,
            HeldModel {
                id,
                path,
                served,
                keys,
                keys_note,
            },
        );
        Ok(id)
    }

    /// Adds a language model's step graph (its layout already recognised). Returns its id.
    ///
    /// # Errors
    /// [`NodeError::Models`] for a step graph whose inputs and outputs are not in the order
    /// `GenerationGame` reads them, or that does not plan.
    pub fn insert_gen(&mut self, path: PathBuf, graph: Graph) -> Result<B256> {
        let model = GenModel::new(graph).map_err(|e| NodeError::Models {
            path: path.clone(),
            message: format!("a language model's step graph the node cannot serve: {e}"),
        })?;
        let id = verinfer_opml::convert::b256(model.served().commitment().model_id.hash());
        tracing::info!(model = %id, path = %path.display(), ctx = model.layout().ctx, "language model loaded");
        self.gen.insert(
            id,
            HeldGenModel {
                id,
                path,
                model: Arc::new(model),
            },
        );
        Ok(id)
    }

    /// The language model with id `id`.
    pub fn gen(&self, id: &B256) -> Option<&HeldGenModel> {
        self.gen.get(id)
    }

    /// Whether the node serves generations of `id`.
    pub fn holds_gen(&self, id: &B256) -> bool {
        self.gen.contains_key(id)
    }

    /// Every language model, by id.
    pub fn gen_iter(&self) -> impl Iterator<Item = &HeldGenModel> {
        self.gen.values()
    }

    fn keys_for(path: &Path, served: &ServedModel) -> (Option<ZkKeys>, Option<String>) {
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let dir = path.with_file_name(format!("{stem}.keys"));
        if !dir.is_dir() {
            return (None, None);
        }
        let manifest = match files::load_manifest(&dir) {
            Ok(m) => m,
            Err(e) => return (None, Some(format!("key directory not used: {e}"))),
        };
        let id = served.commitment().model_id.to_string();
        if manifest.model_id != id {
            return (
                None,
                Some(format!(
                    "key directory {} is for model {}, not {id}: not used",
                    dir.display(),
                    manifest.model_id
                )),
            );
        }
        let visibility = match manifest.visibility() {
            Ok(v) => v,
            Err(e) => return (None, Some(format!("{}: {e}", dir.display()))),
        };
        let backend = match crate::backends::backend(&manifest.backend) {
            Ok(b) => b,
            Err(e) => return (None, Some(format!("{}: {e}", dir.display()))),
        };
        if let Err(e) = backend.supports(served.model(), visibility) {
            return (None, Some(format!("{}: {e}", dir.display())));
        }
        let keys = ZkKeys {
            dir,
            manifest,
            visibility,
            backend,
            pk: None,
        };
        let note = (!keys.oracle_compatible()).then(|| {
            format!(
                "keys in {} hide inputs or outputs ({}); the oracle needs both public: \
                 requests are answered optimistically",
                keys.dir.display(),
                keys.visibility
            )
        });
        (Some(keys), note)
    }

    /// The model with id `id`.
    pub fn get(&self, id: &B256) -> Option<&HeldModel> {
        self.models.get(id)
    }

    /// The model with id `id`, mutably (its proving key loads lazily).
    pub fn get_mut(&mut self, id: &B256) -> Option<&mut HeldModel> {
        self.models.get_mut(id)
    }

    /// Whether the node holds `id`.
    pub fn holds(&self, id: &B256) -> bool {
        self.models.contains_key(id)
    }

    /// Every model, by id.
    pub fn iter(&self) -> impl Iterator<Item = &HeldModel> {
        self.models.values()
    }

    /// Number of models.
    pub fn len(&self) -> usize {
        self.models.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.models.is_empty()
    }
}
