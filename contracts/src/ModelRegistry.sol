// SPDX-License-Identifier: Apache-2.0 OR MIT
pragma solidity ^0.8.24;

/// @title ModelRegistry — on-chain anchor for committed models
/// @notice A model is registered once, before any claim about it, under its `modelId`: the Merkle
///         root over its graph digest and every parameter and table root (docs/commitments.md). Claims,
///         games and oracle requests refer to models by that id, so the id alone pins down the
///         exact weights and graph that an inference is judged against.
/// @dev Permissionless by design: there is no global admin and no `onlyOwner`. The id is
///      content-derived, so there is nothing to curate; a wrong URI cannot change what the id
///      commits to. Registration is commit–reveal (v2): the publisher first commits
///      `keccak256(abi.encode(modelId, publisher, salt))`, then registers in a later block with
///      the salt. A front-runner who sees the `register` transaction cannot register the id
///      first (it holds no commitment from an earlier block), and a commitment reveals nothing
///      of a model not yet published. Each model's owner may only hand that model's ownership
///      on (owners are paid the oracle's owner share and set the recommended zk verifier).
///      Registrations are never removed, so `modelIdAt` enumeration is stable and append-only.
contract ModelRegistry {
    /// @notice What is recorded per model.
    /// @param owner who registered it (or received ownership since); never zero once registered
    /// @param registeredAt block timestamp of registration
    /// @param uri where the model's files can be fetched (off-chain; informational)
    struct Model {
        address owner;
        uint64 registeredAt;
        string uri;
    }

    mapping(bytes32 modelId => Model) private _models;
    bytes32[] private _modelIds;
    /// @notice Block number of each registration commitment (0: none).
    mapping(bytes32 commitment => uint256) public commitments;

    /// @notice A registration commitment was made (its preimage stays private until `register`).
    event RegistrationCommitted(bytes32 indexed commitment, address indexed by);

    /// @notice A model was registered.
    event ModelRegistered(bytes32 indexed modelId, address indexed owner, string uri);
    /// @notice A model changed owner.
    event ModelOwnershipTransferred(
        bytes32 indexed modelId, address indexed previousOwner, address indexed newOwner
    );

    /// @notice The zero id is reserved: it is what an unset storage slot reads as.
    error ZeroModelId();
    /// @notice `modelId` is taken; ids are content roots, so the same model is already here.
    error AlreadyRegistered(bytes32 modelId);
    /// @notice No model is registered under `modelId`.
    error UnknownModel(bytes32 modelId);
    /// @notice `caller` does not own `modelId`.
    error NotModelOwner(bytes32 modelId, address caller);
    /// @notice The zero address cannot own a model (it marks "unregistered").
    error ZeroAddress();
    /// @notice `index` is past the end of the enumeration.
    error IndexOutOfRange(uint256 index);
    /// @notice No commitment to this (model, publisher, salt) from an earlier block.
    error NoCommitment(bytes32 commitment);
    /// @notice The commitment exists already.
    error AlreadyCommitted(bytes32 commitment);

    /// @notice The commitment `register(modelId, uri, salt)` by `publisher` needs.
    function commitmentOf(bytes32 modelId, address publisher, bytes32 salt) public pure returns (bytes32) {
        return keccak256(abi.encode(modelId, publisher, salt));
    }

    /// @notice First step of a registration: records `commitment` (`commitmentOf`) at this block.
    function commit(bytes32 commitment) external {
        if (commitments[commitment] != 0) revert AlreadyCommitted(commitment);
        commitments[commitment] = block.number;
        emit RegistrationCommitted(commitment, msg.sender);
    }

    /// @notice Registers `modelId` with `msg.sender` as owner, revealing a commitment made in
    ///         an earlier block.
    /// @param modelId the model's commitment root (non-zero)
    /// @param uri where to fetch the model; not checked, may be empty
    /// @param salt the salt of the commitment
    function register(bytes32 modelId, string calldata uri, bytes32 salt) external {
        if (modelId == bytes32(0)) revert ZeroModelId();
        Model storage m = _models[modelId];
        if (m.owner != address(0)) revert AlreadyRegistered(modelId);
        bytes32 c = commitmentOf(modelId, msg.sender, salt);
        uint256 at = commitments[c];
        if (at == 0 || at >= block.number) revert NoCommitment(c);
        m.owner = msg.sender;
        // block.timestamp fits in 64 bits for the next ~5e11 years.
        m.registeredAt = uint64(block.timestamp);
        m.uri = uri;
        _modelIds.push(modelId);
        emit ModelRegistered(modelId, msg.sender, uri);
    }

    /// @notice Hands `modelId` to `newOwner`; only its current owner may.
    function transferModelOwnership(bytes32 modelId, address newOwner) external {
        Model storage m = _models[modelId];
        address previous = m.owner;
        if (previous == address(0)) revert UnknownModel(modelId);
        if (previous != msg.sender) revert NotModelOwner(modelId, msg.sender);
        if (newOwner == address(0)) revert ZeroAddress();
        m.owner = newOwner;
        emit ModelOwnershipTransferred(modelId, previous, newOwner);
    }

    /// @notice Whether `modelId` is registered.
    function isRegistered(bytes32 modelId) external view returns (bool) {
        return _models[modelId].owner != address(0);
    }

    /// @notice Current owner of `modelId`.
    function ownerOf(bytes32 modelId) external view returns (address) {
        return _get(modelId).owner;
    }

    /// @notice URI recorded for `modelId`.
    function uriOf(bytes32 modelId) external view returns (string memory) {
        return _get(modelId).uri;
    }

    /// @notice Everything recorded for `modelId`.
    function modelInfo(bytes32 modelId)
        external
        view
        returns (address owner, uint64 registeredAt, string memory uri)
    {
        Model storage m = _get(modelId);
        return (m.owner, m.registeredAt, m.uri);
    }

    /// @notice Number of registered models.
    function modelCount() external view returns (uint256) {
        return _modelIds.length;
    }

    /// @notice The `i`-th registered model id, in registration order.
    function modelIdAt(uint256 i) external view returns (bytes32) {
        if (i >= _modelIds.length) revert IndexOutOfRange(i);
        return _modelIds[i];
    }

    /// @dev The stored model, or revert `UnknownModel`; owner != 0 is the "registered" flag.
    function _get(bytes32 modelId) private view returns (Model storage m) {
        m = _models[modelId];
        if (m.owner == address(0)) revert UnknownModel(modelId);
    }
}
