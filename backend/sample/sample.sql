/*M!999999\- enable the sandbox mode */ 

/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;
/*!40101 SET @OLD_CHARACTER_SET_RESULTS=@@CHARACTER_SET_RESULTS */;
/*!40101 SET @OLD_COLLATION_CONNECTION=@@COLLATION_CONNECTION */;
/*!40101 SET NAMES utf8mb4 */;
/*!40103 SET @OLD_TIME_ZONE=@@TIME_ZONE */;
/*!40103 SET TIME_ZONE='+00:00' */;
/*!40014 SET @OLD_FOREIGN_KEY_CHECKS=@@FOREIGN_KEY_CHECKS, FOREIGN_KEY_CHECKS=0 */;
/*!40101 SET @OLD_SQL_MODE=@@SQL_MODE, SQL_MODE='NO_AUTO_VALUE_ON_ZERO' */;
/*!40111 SET @OLD_SQL_NOTES=@@SQL_NOTES, SQL_NOTES=0 */;

LOCK TABLES `collections` WRITE;
/*!40000 ALTER TABLE `collections` DISABLE KEYS */;
INSERT INTO `collections` (`id`, `title`, `description`, `bbox`, `created_at`) VALUES ('places','Capital cities','Loaded from places.geojson','[-99.1332, -41.2865, 178.4419, 64.1466]','2026-12-02 06:08:27.591'),
('regions','Rough regional boxes','Loaded from regions.geojson','[-9.6, 35.9, 31.6, 71.2]','2026-12-02 06:08:27.609'),
('routes','Capital-to-capital lines','Loaded from routes.geojson','[-77.0428, -33.4489, 139.6917, 60.1699]','2026-12-02 06:08:27.602');
/*!40000 ALTER TABLE `collections` ENABLE KEYS */;
UNLOCK TABLES;

LOCK TABLES `features` WRITE;
/*!40000 ALTER TABLE `features` DISABLE KEYS */;
INSERT INTO `features` (`id`, `collection_id`, `source_key`, `geom`, `properties`, `updated_at`, `qb_capital`, `qs_country`, `qs_name`, `qs_from`, `qs_to`) VALUES (1,'places','london',0xE61000000101000000DA1B7C613255C0BFFE43FAEDEBC04940,'{\"name\":\"London\",\"country\":\"United Kingdom\",\"capital\":true}','2026-12-02 06:08:27.593',1,'United Kingdom','London',NULL,NULL),
(2,'places','paris',0xE61000000101000000A835CD3B4ED1024076E09C11A56D4840,'{\"name\":\"Paris\",\"country\":\"France\",\"capital\":true}','2026-12-02 06:08:27.593',1,'France','Paris',NULL,NULL),
(3,'places','berlin',0xE610000001010000008FC2F5285CCF2A40C3F5285C8F424A40,'{\"name\":\"Berlin\",\"country\":\"Germany\",\"capital\":true}','2026-12-02 06:08:27.593',1,'Germany','Berlin',NULL,NULL),
(4,'places','madrid',0xE61000000101000000FE65F7E461A10DC0857CD0B359354440,'{\"name\":\"Madrid\",\"country\":\"Spain\",\"capital\":true}','2026-12-02 06:08:27.593',1,'Spain','Madrid',NULL,NULL),
(5,'places','rome',0xE6100000010100000003780B2428FE2840166A4DF38EF34440,'{\"name\":\"Rome\",\"country\":\"Italy\",\"capital\":true}','2026-12-02 06:08:27.593',1,'Italy','Rome',NULL,NULL),
(6,'places','lisbon',0xE6100000010100000065AA6054524722C04DF38E53745C4340,'{\"name\":\"Lisbon\",\"country\":\"Portugal\",\"capital\":true}','2026-12-02 06:08:27.593',1,'Portugal','Lisbon',NULL,NULL),
(7,'places','amsterdam',0xE610000001010000002041F163CC9D13403B014D840D2F4A40,'{\"name\":\"Amsterdam\",\"country\":\"Netherlands\",\"capital\":true}','2026-12-02 06:08:27.593',1,'Netherlands','Amsterdam',NULL,NULL),
(8,'places','brussels',0xE610000001010000004703780B24681140F7E461A1D66C4940,'{\"name\":\"Brussels\",\"country\":\"Belgium\",\"capital\":true}','2026-12-02 06:08:27.593',1,'Belgium','Brussels',NULL,NULL),
(9,'places','vienna',0xE61000000101000000AB3E575BB15F30407B832F4CA61A4840,'{\"name\":\"Vienna\",\"country\":\"Austria\",\"capital\":true}','2026-12-02 06:08:27.593',1,'Austria','Vienna',NULL,NULL),
(10,'places','bern',0xE61000000101000000EEEBC03923CA1D40D34D621058794740,'{\"name\":\"Bern\",\"country\":\"Switzerland\",\"capital\":true}','2026-12-02 06:08:27.593',1,'Switzerland','Bern',NULL,NULL),
(11,'places','prague',0xE61000000101000000AA60545227E02C408B6CE7FBA9094940,'{\"name\":\"Prague\",\"country\":\"Czechia\",\"capital\":true}','2026-12-02 06:08:27.593',1,'Czechia','Prague',NULL,NULL),
(12,'places','warsaw',0xE61000000101000000DE02098A1F03354013F241CF661D4A40,'{\"name\":\"Warsaw\",\"country\":\"Poland\",\"capital\":true}','2026-12-02 06:08:27.593',1,'Poland','Warsaw',NULL,NULL),
(13,'places','copenhagen',0xE6100000010100000034A2B437F8222940AD69DE718AD64B40,'{\"name\":\"Copenhagen\",\"country\":\"Denmark\",\"capital\":true}','2026-12-02 06:08:27.593',1,'Denmark','Copenhagen',NULL,NULL),
(14,'places','oslo',0xE61000000101000000371AC05B208125403EE8D9ACFAF44D40,'{\"name\":\"Oslo\",\"country\":\"Norway\",\"capital\":true}','2026-12-02 06:08:27.593',1,'Norway','Oslo',NULL,NULL),
(15,'places','stockholm',0xE610000001010000006F8104C58F11324052499D8026AA4D40,'{\"name\":\"Stockholm\",\"country\":\"Sweden\",\"capital\":true}','2026-12-02 06:08:27.593',1,'Sweden','Stockholm',NULL,NULL),
(16,'places','helsinki',0xE6100000010100000000917EFB3AF0384092CB7F48BF154E40,'{\"name\":\"Helsinki\",\"country\":\"Finland\",\"capital\":true}','2026-12-02 06:08:27.593',1,'Finland','Helsinki',NULL,NULL),
(17,'places','dublin',0xE610000001010000005F984C158C0A19C00612143FC6AC4A40,'{\"name\":\"Dublin\",\"country\":\"Ireland\",\"capital\":true}','2026-12-02 06:08:27.593',1,'Ireland','Dublin',NULL,NULL),
(18,'places','athens',0xE610000001010000000AD7A3703DBA374004E78C28EDFD4240,'{\"name\":\"Athens\",\"country\":\"Greece\",\"capital\":true}','2026-12-02 06:08:27.593',1,'Greece','Athens',NULL,NULL),
(19,'places','budapest',0xE61000000101000000984C158C4A0A3340D656EC2FBBBF4740,'{\"name\":\"Budapest\",\"country\":\"Hungary\",\"capital\":true}','2026-12-02 06:08:27.593',1,'Hungary','Budapest',NULL,NULL),
(20,'places','reykjavik',0xE61000000101000000A835CD3B4EF135C0FE65F7E461095040,'{\"name\":\"Reykjavik\",\"country\":\"Iceland\",\"capital\":true}','2026-12-02 06:08:27.593',1,'Iceland','Reykjavik',NULL,NULL),
(21,'places','ankara',0xE61000000101000000832F4CA60A6E40400F0BB5A679F74340,'{\"name\":\"Ankara\",\"country\":\"Turkey\",\"capital\":true}','2026-12-02 06:08:27.593',1,'Turkey','Ankara',NULL,NULL),
(22,'places','cairo',0xE61000000101000000CEAACFD5563C3F4041F163CC5D0B3E40,'{\"name\":\"Cairo\",\"country\":\"Egypt\",\"capital\":true}','2026-12-02 06:08:27.593',1,'Egypt','Cairo',NULL,NULL),
(23,'places','nairobi',0xE610000001010000008C4AEA0434694240EA95B20C71ACF4BF,'{\"name\":\"Nairobi\",\"country\":\"Kenya\",\"capital\":true}','2026-12-02 06:08:27.593',1,'Kenya','Nairobi',NULL,NULL),
(24,'places','pretoria',0xE61000000101000000AA60545227303C40ACADD85F76BF39C0,'{\"name\":\"Pretoria\",\"country\":\"South Africa\",\"capital\":true}','2026-12-02 06:08:27.593',1,'South Africa','Pretoria',NULL,NULL),
(25,'places','abuja',0xE610000001010000000EBE30992A981D40BA490C022B272240,'{\"name\":\"Abuja\",\"country\":\"Nigeria\",\"capital\":true}','2026-12-02 06:08:27.593',1,'Nigeria','Abuja',NULL,NULL),
(26,'places','riyadh',0xE61000000101000000917EFB3A70564740F46C567DAEB63840,'{\"name\":\"Riyadh\",\"country\":\"Saudi Arabia\",\"capital\":true}','2026-12-02 06:08:27.593',1,'Saudi Arabia','Riyadh',NULL,NULL),
(27,'places','new-delhi',0xE610000001010000004C378941604D5340B003E78C289D3C40,'{\"name\":\"New Delhi\",\"country\":\"India\",\"capital\":true}','2026-12-02 06:08:27.593',1,'India','New Delhi',NULL,NULL),
(28,'places','beijing',0xE61000000101000000FC1873D7121A5D4088855AD3BCF34340,'{\"name\":\"Beijing\",\"country\":\"China\",\"capital\":true}','2026-12-02 06:08:27.593',1,'China','Beijing',NULL,NULL),
(29,'places','seoul',0xE610000001010000003BDF4F8D97BE5F408D976E1283C84240,'{\"name\":\"Seoul\",\"country\":\"South Korea\",\"capital\":true}','2026-12-02 06:08:27.593',1,'South Korea','Seoul',NULL,NULL),
(30,'places','tokyo',0xE6100000010100000095D4096822766140C74B378941D84140,'{\"name\":\"Tokyo\",\"country\":\"Japan\",\"capital\":true}','2026-12-02 06:08:27.593',1,'Japan','Tokyo',NULL,NULL),
(31,'places','bangkok',0xE610000001010000008048BF7D1D205940FAEDEBC039832B40,'{\"name\":\"Bangkok\",\"country\":\"Thailand\",\"capital\":true}','2026-12-02 06:08:27.593',1,'Thailand','Bangkok',NULL,NULL),
(32,'places','singapore',0xE61000000101000000B1506B9A77F45940E0BE0E9C33A2F53F,'{\"name\":\"Singapore\",\"country\":\"Singapore\",\"capital\":true}','2026-12-02 06:08:27.593',1,'Singapore','Singapore',NULL,NULL),
(33,'places','jakarta',0xE61000000101000000D95F764F1EB65A40849ECDAACFD518C0,'{\"name\":\"Jakarta\",\"country\":\"Indonesia\",\"capital\":true}','2026-12-02 06:08:27.593',1,'Indonesia','Jakarta',NULL,NULL),
(34,'places','canberra',0xE610000001010000005C8FC2F528A4624024B9FC87F4A341C0,'{\"name\":\"Canberra\",\"country\":\"Australia\",\"capital\":true}','2026-12-02 06:08:27.593',1,'Australia','Canberra',NULL,NULL),
(35,'places','wellington',0xE61000000101000000F7E461A1D6D86540E9263108ACA444C0,'{\"name\":\"Wellington\",\"country\":\"New Zealand\",\"capital\":true}','2026-12-02 06:08:27.593',1,'New Zealand','Wellington',NULL,NULL),
(36,'places','suva',0xE610000001010000004703780B244E6640151DC9E53F2432C0,'{\"name\":\"Suva\",\"country\":\"Fiji\",\"capital\":true}','2026-12-02 06:08:27.593',1,'Fiji','Suva',NULL,NULL),
(37,'places','ottawa',0xE610000001010000005BB1BFEC9EEC52C0CBA145B6F3B54640,'{\"name\":\"Ottawa\",\"country\":\"Canada\",\"capital\":true}','2026-12-02 06:08:27.593',1,'Canada','Ottawa',NULL,NULL),
(38,'places','washington',0xE610000001010000003C4ED1915C4253C032772D211F744340,'{\"name\":\"Washington\",\"country\":\"United States\",\"capital\":true}','2026-12-02 06:08:27.593',1,'United States','Washington',NULL,NULL),
(39,'places','mexico-city',0xE61000000101000000F1F44A5986C858C0E63FA4DFBE6E3340,'{\"name\":\"Mexico City\",\"country\":\"Mexico\",\"capital\":true}','2026-12-02 06:08:27.593',1,'Mexico','Mexico City',NULL,NULL),
(40,'places','bogota',0xE61000000101000000AA8251499D8452C0F2D24D6210D81240,'{\"name\":\"Bogotá\",\"country\":\"Colombia\",\"capital\":true}','2026-12-02 06:08:27.593',1,'Colombia','Bogotá',NULL,NULL),
(41,'places','lima',0xE610000001010000003411363CBD4253C09D11A5BDC11728C0,'{\"name\":\"Lima\",\"country\":\"Peru\",\"capital\":true}','2026-12-02 06:08:27.593',1,'Peru','Lima',NULL,NULL),
(42,'places','brasilia',0xE61000000101000000295C8FC2F5F047C066F7E461A1962FC0,'{\"name\":\"Brasília\",\"country\":\"Brazil\",\"capital\":true}','2026-12-02 06:08:27.593',1,'Brazil','Brasília',NULL,NULL),
(43,'places','santiago',0xE610000001010000009FCDAACFD5AA51C05396218E75B940C0,'{\"name\":\"Santiago\",\"country\":\"Chile\",\"capital\":true}','2026-12-02 06:08:27.593',1,'Chile','Santiago',NULL,NULL),
(44,'places','buenos-aires',0xE61000000101000000A913D044D8304DC0304CA60A464D41C0,'{\"name\":\"Buenos Aires\",\"country\":\"Argentina\",\"capital\":true}','2026-12-02 06:08:27.593',1,'Argentina','Buenos Aires',NULL,NULL),
(45,'routes','london--paris',0xE6100000010200000002000000DA1B7C613255C0BFFE43FAEDEBC04940A835CD3B4ED1024076E09C11A56D4840,'{\"from\":\"london\",\"to\":\"paris\",\"note\":\"straight line in lon/lat between two capitals\"}','2026-12-02 06:08:27.603',NULL,NULL,NULL,'london','paris'),
(46,'routes','paris--berlin',0xE6100000010200000002000000A835CD3B4ED1024076E09C11A56D48408FC2F5285CCF2A40C3F5285C8F424A40,'{\"from\":\"paris\",\"to\":\"berlin\",\"note\":\"straight line in lon/lat between two capitals\"}','2026-12-02 06:08:27.603',NULL,NULL,NULL,'paris','berlin'),
(47,'routes','madrid--lisbon',0xE6100000010200000002000000FE65F7E461A10DC0857CD0B35935444065AA6054524722C04DF38E53745C4340,'{\"from\":\"madrid\",\"to\":\"lisbon\",\"note\":\"straight line in lon/lat between two capitals\"}','2026-12-02 06:08:27.603',NULL,NULL,NULL,'madrid','lisbon'),
(48,'routes','rome--athens',0xE610000001020000000200000003780B2428FE2840166A4DF38EF344400AD7A3703DBA374004E78C28EDFD4240,'{\"from\":\"rome\",\"to\":\"athens\",\"note\":\"straight line in lon/lat between two capitals\"}','2026-12-02 06:08:27.603',NULL,NULL,NULL,'rome','athens'),
(49,'routes','oslo--stockholm',0xE6100000010200000002000000371AC05B208125403EE8D9ACFAF44D406F8104C58F11324052499D8026AA4D40,'{\"from\":\"oslo\",\"to\":\"stockholm\",\"note\":\"straight line in lon/lat between two capitals\"}','2026-12-02 06:08:27.603',NULL,NULL,NULL,'oslo','stockholm'),
(50,'routes','stockholm--helsinki',0xE61000000102000000020000006F8104C58F11324052499D8026AA4D4000917EFB3AF0384092CB7F48BF154E40,'{\"from\":\"stockholm\",\"to\":\"helsinki\",\"note\":\"straight line in lon/lat between two capitals\"}','2026-12-02 06:08:27.603',NULL,NULL,NULL,'stockholm','helsinki'),
(51,'routes','tokyo--seoul',0xE610000001020000000200000095D4096822766140C74B378941D841403BDF4F8D97BE5F408D976E1283C84240,'{\"from\":\"tokyo\",\"to\":\"seoul\",\"note\":\"straight line in lon/lat between two capitals\"}','2026-12-02 06:08:27.603',NULL,NULL,NULL,'tokyo','seoul'),
(52,'routes','seoul--beijing',0xE61000000102000000020000003BDF4F8D97BE5F408D976E1283C84240FC1873D7121A5D4088855AD3BCF34340,'{\"from\":\"seoul\",\"to\":\"beijing\",\"note\":\"straight line in lon/lat between two capitals\"}','2026-12-02 06:08:27.603',NULL,NULL,NULL,'seoul','beijing'),
(53,'routes','ottawa--washington',0xE61000000102000000020000005BB1BFEC9EEC52C0CBA145B6F3B546403C4ED1915C4253C032772D211F744340,'{\"from\":\"ottawa\",\"to\":\"washington\",\"note\":\"straight line in lon/lat between two capitals\"}','2026-12-02 06:08:27.603',NULL,NULL,NULL,'ottawa','washington'),
(54,'routes','lima--santiago',0xE61000000102000000020000003411363CBD4253C09D11A5BDC11728C09FCDAACFD5AA51C05396218E75B940C0,'{\"from\":\"lima\",\"to\":\"santiago\",\"note\":\"straight line in lon/lat between two capitals\"}','2026-12-02 06:08:27.603',NULL,NULL,NULL,'lima','santiago'),
(55,'routes','nairobi--cairo',0xE61000000102000000020000008C4AEA0434694240EA95B20C71ACF4BFCEAACFD5563C3F4041F163CC5D0B3E40,'{\"from\":\"nairobi\",\"to\":\"cairo\",\"note\":\"straight line in lon/lat between two capitals\"}','2026-12-02 06:08:27.603',NULL,NULL,NULL,'nairobi','cairo'),
(56,'regions','benelux',0xE61000000103000000010000000500000000000000000004403333333333B348403333333333331D403333333333B348403333333333331D40CDCCCCCCCCCC4A400000000000000440CDCCCCCCCCCC4A4000000000000004403333333333B34840,'{\"name\":\"Benelux (rough box)\"}','2026-12-02 06:08:27.609',NULL,NULL,'Benelux (rough box)',NULL,NULL),
(57,'regions','iberia',0xE61000000103000000010000000500000033333333333323C03333333333F341403333333333330B403333333333F341403333333333330B406666666666E6454033333333333323C06666666666E6454033333333333323C03333333333F34140,'{\"name\":\"Iberian Peninsula (rough box)\"}','2026-12-02 06:08:27.609',NULL,NULL,'Iberian Peninsula (rough box)',NULL,NULL),
(58,'regions','nordics',0xE61000000103000000010000000500000000000000000012400000000000404B409A99999999993F400000000000404B409A99999999993F40CDCCCCCCCCCC51400000000000001240CDCCCCCCCCCC514000000000000012400000000000404B40,'{\"name\":\"Scandinavia (rough box)\"}','2026-12-02 06:08:27.609',NULL,NULL,'Scandinavia (rough box)',NULL,NULL);
/*!40000 ALTER TABLE `features` ENABLE KEYS */;
UNLOCK TABLES;
/*!40103 SET TIME_ZONE=@OLD_TIME_ZONE */;

/*!40101 SET SQL_MODE=@OLD_SQL_MODE */;
/*!40014 SET FOREIGN_KEY_CHECKS=@OLD_FOREIGN_KEY_CHECKS */;
/*!40101 SET CHARACTER_SET_CLIENT=@OLD_CHARACTER_SET_CLIENT */;
/*!40101 SET CHARACTER_SET_RESULTS=@OLD_CHARACTER_SET_RESULTS */;
/*!40101 SET COLLATION_CONNECTION=@OLD_COLLATION_CONNECTION */;
/*!40111 SET SQL_NOTES=@OLD_SQL_NOTES */;

