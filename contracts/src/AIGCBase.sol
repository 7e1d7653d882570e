// SPDX-License-Identifier: Apache-2.0 OR MIT
pragma solidity ^0.8.24;

import {ERC721Core} from "./ERC721Core.sol";
import {IERC165, IERC721, IERC721Metadata, IERC7007, IERC7007Updatable} from "./IERC7007.sol";

/// @title AIGCBase — what the ERC-7007 collections `AIGC` (tensor outputs) and `AIGCText`
///        (generated text) share
/// @notice A token id is `uint256(keccak256(prompt))` (a prompt is minted at most once); a
///         token keeps the evidence `mint` accepted and the hash of its aigcData. The EIP's
///         `update(prompt, aigcData, uri)` changes only the uri (owner or approved, same
///         aigcData, evidence not defeated); `update(prompt, aigcData, uri, proof)` replaces a
///         defeated token's aigcData and evidence with evidence `mint` would accept (anyone).
/// @dev A collection says what evidence it accepts (`_prove`) and when a token's evidence is
///      defeated (`_defeated`); the minting, the update rule and ERC-165 are written once here.
abstract contract AIGCBase is ERC721Core, IERC7007Updatable {
    /// @notice The ERC-165 id the EIP publishes for IERC7007 (see `supportsInterface`).
    bytes4 public constant IERC7007_PUBLISHED_ID = 0x7e52e423;
    /// @notice The proof tag of a fulfilled oracle request (both collections).
    uint8 public constant PROOF_REQUEST = 3;

    /// @notice Why a token's aigcData is believed: the proof kind, the claim or request id (0
    ///         for zk), keccak256 of the aigcData.
    struct Evidence {
        uint8 kind;
        uint256 id;
        bytes32 aigcDataHash;
    }

    mapping(uint256 tokenId => Evidence) internal evidence;

    error UnknownModel(bytes32 modelId);
    error TokenAlreadyMinted(uint256 tokenId);
    error NonCanonicalEncoding(string what);
    error UnknownProofKind(uint256 kind);
    error MalformedProof(uint256 kind, uint256 length);
    error ClaimNotUsable(uint256 claimId, uint8 status);
    error ClaimDoesNotMatch(uint256 claimId, string what);
    error RequestNotUsable(uint256 requestId, string why);
    error NothingToReplace(uint256 tokenId);
    error EvidenceDefeated(uint256 tokenId);
    error DataMismatch(uint256 tokenId);
    error NotAuthorized(address caller, uint256 tokenId);
    error NotEvidenceHolder(address caller, address holder);

    constructor(string memory name_, string memory symbol_) ERC721Core(name_, symbol_) {}

    // ================================================================== ERC-7007

    /// @inheritdoc IERC7007
    function mint(address to, bytes calldata prompt, bytes calldata aigcData, string calldata uri, bytes calldata proof)
        external
        returns (uint256 tokenId)
    {
        if (to == address(0)) revert ERC721InvalidReceiver(address(0));
        tokenId = uint256(keccak256(prompt));
        if (owners[tokenId] != address(0)) revert TokenAlreadyMinted(tokenId);
        (uint8 kind, uint256 id, address holder) = _prove(prompt, aigcData, proof);
        if (holder != msg.sender) revert NotEvidenceHolder(msg.sender, holder);
        _mintTo(to, tokenId, uri);
        evidence[tokenId] = Evidence({kind: kind, id: id, aigcDataHash: keccak256(aigcData)});
        emit Mint(to, tokenId, prompt, aigcData, uri, proof);
        _checkReceiver(address(0), to, tokenId, "");
    }

    /// @inheritdoc IERC7007Updatable
    /// @dev Changes the uri only: the caller must own the token or be approved for it,
    ///      `aigcData` must be the token's current data, and its evidence must stand (a token
    ///      whose claim was rejected takes a replacement through the four-argument `update`).
    function update(bytes calldata prompt, bytes calldata aigcData, string calldata uri) external {
        uint256 tokenId = uint256(keccak256(prompt));
        address owner = _requireOwned(tokenId);
        if (!_isAuthorized(owner, msg.sender, tokenId)) revert NotAuthorized(msg.sender, tokenId);
        Evidence storage e = evidence[tokenId];
        if (_defeated(e)) revert EvidenceDefeated(tokenId);
        if (keccak256(aigcData) != e.aigcDataHash) revert DataMismatch(tokenId);
        uris[tokenId] = uri;
        emit Update(tokenId, prompt, aigcData, uri);
    }

    /// @notice Replaces the aigcData and evidence of a token whose claim was Rejected, with a
    ///         `proof` that `mint` would accept for (`prompt`, `aigcData`). Anyone may call.
    ///         `uri`: empty keeps the current one; another value needs the owner or an
    ///         approved address.
    function update(bytes calldata prompt, bytes calldata aigcData, string calldata uri, bytes calldata proof)
        external
    {
        uint256 tokenId = uint256(keccak256(prompt));
        address owner = _requireOwned(tokenId);
        Evidence storage e = evidence[tokenId];
        if (!_defeated(e)) revert NothingToReplace(tokenId);
        (uint8 kind, uint256 id,) = _prove(prompt, aigcData, proof);
        if (bytes(uri).length != 0 && keccak256(bytes(uri)) != keccak256(bytes(uris[tokenId]))) {
            if (!_isAuthorized(owner, msg.sender, tokenId)) revert NotAuthorized(msg.sender, tokenId);
            uris[tokenId] = uri;
        }
        e.kind = kind;
        e.id = id;
        e.aigcDataHash = keccak256(aigcData);
        emit Update(tokenId, prompt, aigcData, uris[tokenId]);
    }

    /// @notice The evidence behind a token (kinds: the collection's `PROOF_*` constants).
    function evidenceOf(uint256 tokenId) external view returns (Evidence memory) {
        _requireOwned(tokenId);
        return evidence[tokenId];
    }

    // ================================================================== ERC-165

    /// @notice IERC165, IERC721, IERC721Metadata, IERC7007, IERC7007Updatable. IERC7007 answers
    ///         to two ids: `type(IERC7007).interfaceId` = mint ^ verify = 0x2a8ab591 for the
    ///         interface as specified (mint with `address to`), and 0x7e52e423, the id the EIP
    ///         publishes — which is mint(bytes,bytes,string,bytes) ^ verify, i.e. computed before
    ///         `to` was added to `mint` — so that detectors using the published constant work.
    function supportsInterface(bytes4 interfaceId) external pure returns (bool) {
        return interfaceId == type(IERC165).interfaceId || interfaceId == type(IERC721).interfaceId
            || interfaceId == type(IERC721Metadata).interfaceId || interfaceId == type(IERC7007).interfaceId
            || interfaceId == IERC7007_PUBLISHED_ID || interfaceId == type(IERC7007Updatable).interfaceId;
    }

    // ================================================================== the collection's rules

    /// @dev What `mint` and the replacing `update` accept: the evidence kind, its claim or
    ///      request id, and who holds it (the only account that may mint with it); reverts with
    ///      the reason otherwise.
    function _prove(bytes calldata prompt, bytes calldata aigcData, bytes calldata proof)
        internal
        view
        virtual
        returns (uint8 kind, uint256 id, address holder);

    /// @dev Whether a token's evidence lost (its claim was rejected): only then may it be replaced.
    function _defeated(Evidence storage e) internal view virtual returns (bool);
}
