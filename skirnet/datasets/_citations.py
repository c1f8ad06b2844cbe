"""References of the datasets' sources, cited in their descriptions and ``DESCR``."""

CRABNET_CITATION = (
    "Wang, A. Y.-T., Kauwe, S. K., Murdock, R. J. & Sparks, T. D. Compositionally restricted "
    "attention-based network for materials property predictions. npj Comput. Mater. 7, 77 "
    "(2021)."
)
MATBENCH_CITATION = (
    "Dunn, A., Wang, Q., Ganose, A., Dopp, D. & Jain, A. Benchmarking materials property "
    "prediction methods: the Matbench test set and Automatminer reference algorithm. "
    "npj Comput. Mater. 6, 138 (2020)."
)
CROSSPROPERTY_CITATION = (
    "Gupta, V. et al. Cross-property deep transfer learning framework for enhanced "
    "predictive analytics on small materials data. Nat. Commun. 12, 6595 (2021)."
)
OQMD_CITATION = (
    "Saal, J. E., Kirklin, S., Aykol, M., Meredig, B. & Wolverton, C. Materials design and "
    "discovery with high-throughput density functional theory: the Open Quantum Materials "
    "Database (OQMD). JOM 65, 1501-1509 (2013); Kirklin, S. et al. npj Comput. Mater. 1, "
    "15010 (2015)."
)
AFLOW_CITATION = (
    "Curtarolo, S. et al. AFLOW: an automatic framework for high-throughput materials "
    "discovery. Comput. Mater. Sci. 58, 218-226 (2012)."
)
MP_CITATION = (
    "Jain, A. et al. Commentary: The Materials Project: a materials genome approach to "
    "accelerating materials innovation. APL Mater. 1, 011002 (2013)."
)
JARVIS_CITATION = (
    "Choudhary, K. et al. The joint automated repository for various integrated simulations "
    "(JARVIS) for data-driven materials design. npj Comput. Mater. 6, 173 (2020)."
)
